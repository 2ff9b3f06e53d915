import * as oauth from 'oauth4webapi';
import { Value } from '@sinclair/typebox/value';
import { ConnectorError } from '../errors/index.js';
import { networkFailure } from '../http/transport.js';
import type { AuthFactory } from './context.js';
import { credentialFields } from './credential-fields.js';
import { once, renderRequired, renderText } from './render.js';
import { OAuth2Auth, type AuthNodeOf } from './schema.js';
import { parseExpiry } from './token-expiry.js';
import type { StoredToken } from './types.js';

/**
 * A token minted this recently is not dropped by `invalidate`: the 401 came from a request that
 * still carried the previous token (many concurrent requests fail together after an expiry).
 */
const FRESH_TOKEN_MS = 5000;

/**
 * `type: oauth2`: an access token from the refresh_token or client_credentials grant, refreshed
 * `refresh_before_seconds` before it expires, one refresh at a time whatever the concurrency.
 * Tokens are loaded from the TokenStore first and every new one (with a rotated refresh token) is
 * saved there; a response without a refresh token keeps the old one.
 */
export const createOAuth2Auth: AuthFactory<'oauth2'> = (input, ctx) => {
  const node = Value.Default(OAuth2Auth, structuredClone(input)) as AuthNodeOf<'oauth2'>;
  const now = () => (ctx.now ? ctx.now().getTime() : Date.now());
  const fields = credentialFields([node.client_id, node.client_secret, node.refresh_token, node.access_token]);
  let token: StoredToken | undefined;
  let mintedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<StoredToken> | undefined;

  const load = once(async () => {
    token = (await ctx.tokenStore?.load(ctx.tokenKey)) ?? (await fromConfig());
  });

  async function fromConfig(): Promise<StoredToken | undefined> {
    const access = node.access_token ? await renderText(node.access_token, ctx.scope) : '';
    const refresh = node.refresh_token ? await renderText(node.refresh_token, ctx.scope) : '';
    if (!access && !refresh) return undefined;
    const expires = node.expires_at ? parseExpiry(await renderText(node.expires_at, ctx.scope)) : undefined;
    // Without an access token there is only a refresh token: expired from the start.
    return { access_token: access, ...(refresh ? { refresh_token: refresh } : {}), ...(access ? (expires === undefined ? {} : { expires_at: expires }) : { expires_at: 0 }) };
  }

  function usable(current: StoredToken | undefined): current is StoredToken {
    if (!current?.access_token) return false;
    return current.expires_at === undefined || now() < current.expires_at - node.refresh_before_seconds * 1000;
  }

  async function accessToken(): Promise<string> {
    await load();
    if (usable(token)) return token.access_token;
    inflight ??= mint().finally(() => {
      inflight = undefined;
    });
    return (await inflight).access_token;
  }

  async function mint(): Promise<StoredToken> {
    const tokenUrl = await renderRequired(node.token_url, ctx.scope, 'the OAuth token URL');
    const secrets: string[] = [];
    try {
      const clientId = await renderRequired(node.client_id, ctx.scope, 'the OAuth client id');
      const clientSecret = node.client_secret ? await renderText(node.client_secret, ctx.scope) : '';
      if (clientSecret) secrets.push(clientSecret);
      const as: oauth.AuthorizationServer = { issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl };
      const client: oauth.Client = { client_id: clientId };
      const clientAuth = !clientSecret ? oauth.None() : node.client_auth === 'client_secret_basic' ? oauth.ClientSecretBasic(clientSecret) : oauth.ClientSecretPost(clientSecret);
      const options = {
        // Local token endpoints in tests and private deployments speak plain http.
        [oauth.allowInsecureRequests]: new URL(tokenUrl).protocol === 'http:',
        ...(ctx.fetch ? { [oauth.customFetch]: ctx.fetch } : {}),
      };
      let result: oauth.TokenEndpointResponse;
      if (node.grant === 'refresh_token') {
        const refreshToken = token?.refresh_token ?? '';
        if (!refreshToken) throw new Error('no refresh token is configured or stored');
        secrets.push(refreshToken);
        const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, options);
        result = await oauth.processRefreshTokenResponse(as, client, response);
      } else {
        const parameters: Record<string, string> = node.scopes?.length ? { scope: node.scopes.join(' ') } : {};
        const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, parameters, options);
        result = await oauth.processClientCredentialsResponse(as, client, response);
      }
      const next: StoredToken = {
        access_token: result.access_token,
        ...((result.refresh_token ?? token?.refresh_token) ? { refresh_token: result.refresh_token ?? token?.refresh_token } : {}),
        ...(typeof result.expires_in === 'number' ? { expires_at: now() + result.expires_in * 1000 } : {}),
      };
      token = next;
      mintedAt = now();
      await ctx.tokenStore?.save(ctx.tokenKey, next);
      return next;
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      throw refreshError(error, tokenUrl, secrets);
    }
  }

  function refreshError(error: unknown, tokenUrl: string, secrets: string[]): ConnectorError {
    const url = new URL(tokenUrl);
    // The token endpoint was never reached: nothing is wrong with the credentials, so say which
    // host failed and how (transient: the sync retries it as it would any network failure).
    const network = networkFailure(error);
    if (network !== undefined) {
      const urlKeys = credentialFields([node.token_url]).map((key) => `"${key}"`);
      return new ConnectorError('HTTP_NETWORK', `oauth2 ${node.grant} grant: the token URL ${url.origin} could not be reached: ${network}`, {
        hint: `Check the token URL (auth.token_url${urlKeys.length ? `, from config ${urlKeys.join(', ')}` : ''}) and the network (DNS, firewall, proxy); the credentials were not checked yet.`,
        context: { origin: url.origin },
        cause: error,
      });
    }
    let detail = error instanceof Error ? error.message : String(error);
    if (error instanceof oauth.ResponseBodyError) detail = `${error.status} ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
    for (const secret of secrets) detail = detail.split(secret).join('***');
    const check = fields.length ? `check config ${fields.map((f) => `"${f}"`).join(', ')}` : 'check the OAuth client and tokens';
    return new ConnectorError('AUTH_TOKEN_REFRESH', `oauth2 ${node.grant} grant at ${url.origin}${url.pathname} failed: ${detail}: ${check}`, {
      // The provider answered and refused: for a refresh, the usual cause is a revoked or reused token.
      hint: node.grant === 'refresh_token' ? 'The refresh token may be revoked or already used; authorise the connection again.' : 'The provider refused the client credentials: check the client id and secret, and the scopes.',
      cause: error,
    });
  }

  return {
    async apply(request) {
      request.headers.Authorization = `Bearer ${await accessToken()}`;
    },
    async invalidate() {
      await load();
      if (token && now() - mintedAt >= FRESH_TOKEN_MS) token = { ...token, expires_at: 0 };
      return node.grant === 'client_credentials' || Boolean(token?.refresh_token);
    },
    credentialFields: fields,
  };
};
