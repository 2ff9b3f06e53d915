import githubAppJwt from 'universal-github-app-jwt';
import { ConnectorError } from '../errors/index.js';
import { networkFailure } from '../http/transport.js';
import type { AuthFactory } from './context.js';
import { credentialFields } from './credential-fields.js';
import { renderRequired, renderText } from './render.js';
import { parseExpiry } from './token-expiry.js';

/** Installation tokens live one hour; mint a new one this long before `expires_at`. */
const RENEW_BEFORE_MS = 5 * 60_000;

interface InstallationToken {
  token: string;
  expiresAt: number;
}

/**
 * `type: github_app`: a JWT signed with the App's private key (universal-github-app-jwt) buys an
 * installation token (POST /app/installations/<id>/access_tokens), cached until 5 minutes before it
 * expires. https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app
 */
export const createGitHubAppAuth: AuthFactory<'github_app'> = (node, ctx) => {
  const now = () => (ctx.now ? ctx.now().getTime() : Date.now());
  const fields = credentialFields([node.app_id, node.private_key, node.installation_id]);
  let cached: InstallationToken | undefined;
  let inflight: Promise<InstallationToken> | undefined;

  async function mint(): Promise<InstallationToken> {
    const appId = await renderRequired(node.app_id, ctx.scope, 'the GitHub App id');
    const privateKey = await renderRequired(node.private_key, ctx.scope, 'the GitHub App private key');
    const installationId = await renderRequired(node.installation_id, ctx.scope, 'the GitHub App installation id');
    const url = node.token_url
      ? await renderText(node.token_url, ctx.scope)
      : `${ctx.urlBase.replace(/\/+$/, '')}/app/installations/${encodeURIComponent(installationId)}/access_tokens`;
    let jwt: string;
    try {
      jwt = (await githubAppJwt({ id: appId, privateKey, now: Math.floor(now() / 1000) })).token;
    } catch (error) {
      throw failure(`cannot sign the App JWT (${error instanceof Error ? error.message : String(error)})`, error);
    }
    let response: Response;
    try {
      response = await (ctx.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'gwi-connectors' },
      });
    } catch (error) {
      // Never reached: the App's credentials were not checked, so say which host failed and how.
      const network = networkFailure(error);
      if (network !== undefined) {
        const origin = new URL(url).origin;
        throw new ConnectorError('HTTP_NETWORK', `github_app installation token: ${origin} could not be reached: ${network}`, {
          hint: `Check the API base URL${node.token_url ? ' (auth.token_url)' : ''} and the network (DNS, firewall, proxy); the App credentials were not checked yet.`,
          context: { origin },
          cause: error,
        });
      }
      throw failure(`POST ${url} failed (${error instanceof Error ? error.message : String(error)})`, error);
    }
    const text = await response.text();
    if (!response.ok) throw failure(`POST ${url} answered ${response.status}: ${messageOf(text).split(jwt).join('***')}`);
    const body = safeJson(text) as { token?: unknown; expires_at?: unknown } | undefined;
    if (typeof body?.token !== 'string') throw failure(`POST ${url} answered without a token`);
    return { token: body.token, expiresAt: parseExpiry(body.expires_at) ?? now() + 60 * 60_000 };
  }

  function failure(detail: string, cause?: unknown): ConnectorError {
    const check = fields.length ? `check config ${fields.map((f) => `"${f}"`).join(', ')}` : 'check the App id, private key and installation id';
    return new ConnectorError('AUTH_TOKEN_REFRESH', `github_app installation token: ${detail}: ${check}`, {
      hint: 'The App must be installed on the account and its private key current.',
      ...(cause === undefined ? {} : { cause }),
    });
  }

  async function installationToken(): Promise<string> {
    if (cached && now() < cached.expiresAt - RENEW_BEFORE_MS) return cached.token;
    inflight ??= mint()
      .then((minted) => (cached = minted))
      .finally(() => {
        inflight = undefined;
      });
    return (await inflight).token;
  }

  return {
    async apply(request) {
      request.headers.Authorization = `Bearer ${await installationToken()}`;
    },
    async invalidate() {
      cached = undefined;
      return true;
    },
    credentialFields: fields,
  };
};

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** GitHub errors are `{ "message": "..." }`; fall back to a short excerpt. */
function messageOf(text: string): string {
  const message = (safeJson(text) as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : text.slice(0, 200);
}
