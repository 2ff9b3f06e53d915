import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { createRequester } from '../http/create-requester.js';
import { json, refusedUrl, startServer, type LocalServer } from '../http/test-support/local-server.js';
import { createAuthenticator } from './create-authenticator.js';
import { createMemoryTokenStore } from './memory-token-store.js';
import type { AuthNodeOf } from './schema.js';
import type { TokenStore } from './types.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const SECRET = 'client-secret-0123456789';
let servers: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

interface TokenServerOptions {
  rotate?: boolean;
  fail?: boolean;
  expiresIn?: number;
}

/** A token endpoint: counts grants and mints at-<n> (and rt-<n> when rotating). */
async function tokenServer(opts: TokenServerOptions = {}) {
  const grants: URLSearchParams[] = [];
  const server = await startServer((req, res, body) => {
    const form = new URLSearchParams(body);
    grants.push(form);
    if (opts.fail) return json(res, 400, { error: 'invalid_grant', error_description: `refresh token ${form.get('refresh_token')} was revoked` });
    const n = grants.length;
    // A slow endpoint, so concurrent requests really overlap the refresh.
    setTimeout(() => json(res, 200, { access_token: `at-${n}`, token_type: 'Bearer', expires_in: opts.expiresIn ?? 3600, ...(opts.rotate ? { refresh_token: `rt-${n}` } : {}) }), 30);
    void req;
  });
  servers.push(server);
  return { server, grants };
}

async function apiServer() {
  const server = await startServer((req, res) => (req.headers.authorization?.startsWith('Bearer at-') ? json(res, 200, { auth: req.headers.authorization }) : json(res, 401, {})));
  servers.push(server);
  return server;
}

function oauthNode(tokenUrl: string, extra: Partial<AuthNodeOf<'oauth2'>> = {}): AuthNodeOf<'oauth2'> {
  return {
    type: 'oauth2',
    grant: 'refresh_token',
    token_url: tokenUrl,
    client_id: '{{ config.client_id }}',
    client_secret: '{{ config.client_secret }}',
    refresh_token: '{{ config.refresh_token }}',
    client_auth: 'client_secret_post',
    refresh_before_seconds: 60,
    ...extra,
  };
}

function setup(node: AuthNodeOf<'oauth2'>, api: LocalServer, store: TokenStore, clock = { now: START }) {
  const config = { client_id: 'my-client', client_secret: SECRET, refresh_token: 'rt-0' };
  const auth = createAuthenticator(node, { scope: { config }, tokenStore: store, tokenKey: 'gitlab/acme', urlBase: api.url, now: () => new Date(clock.now) });
  const requester = createRequester({
    requester: { url_base: api.url, timeout_ms: 5000 },
    auth,
    connectorName: 'gitlab',
    connectionId: `oauth-${Math.random()}`,
    scope: { config },
    sleep: async () => undefined,
    now: () => new Date(clock.now),
  });
  const send = () => requester.send({ method: 'GET', url: `${api.url}/projects`, params: {}, headers: {}, label: 'projects' });
  return { auth, requester, send };
}

describe('oauth2', () => {
  it('refreshes once for 20 concurrent requests (single flight)', async () => {
    const { server, grants } = await tokenServer({ rotate: true });
    const api = await apiServer();
    const { send, requester } = setup(oauthNode(`${server.url}/oauth/token`), api, createMemoryTokenStore());
    const responses = await Promise.all(Array.from({ length: 20 }, send));
    expect(grants).toHaveLength(1);
    expect(grants[0]?.get('grant_type')).toBe('refresh_token');
    expect(grants[0]?.get('refresh_token')).toBe('rt-0');
    expect(grants[0]?.get('client_id')).toBe('my-client');
    expect(grants[0]?.get('client_secret')).toBe(SECRET);
    expect(new Set(responses.map((r) => (r.body as { auth: string }).auth))).toEqual(new Set(['Bearer at-1']));
    await requester.close();
  });

  it('persists a rotated refresh token and uses it for the next refresh', async () => {
    const { server, grants } = await tokenServer({ rotate: true });
    const api = await apiServer();
    const store = createMemoryTokenStore();
    const clock = { now: START };
    const { send, requester } = setup(oauthNode(`${server.url}/oauth/token`), api, store, clock);
    await send();
    expect(await store.load('gitlab/acme')).toEqual({ access_token: 'at-1', refresh_token: 'rt-1', expires_at: START + 3600_000 });
    clock.now += 3600_000 - 30_000; // inside refresh_before_seconds
    await send();
    expect(grants.map((g) => g.get('refresh_token'))).toEqual(['rt-0', 'rt-1']);
    expect((await store.load('gitlab/acme'))?.refresh_token).toBe('rt-2');
    await requester.close();
  });

  it('keeps the old refresh token when the response omits it', async () => {
    const { server } = await tokenServer({ rotate: false });
    const api = await apiServer();
    const store = createMemoryTokenStore();
    const { send, requester } = setup(oauthNode(`${server.url}/oauth/token`), api, store);
    await send();
    expect(await store.load('gitlab/acme')).toMatchObject({ access_token: 'at-1', refresh_token: 'rt-0' });
    await requester.close();
  });

  it('loads a stored token first and does not refresh while it is valid', async () => {
    const { server, grants } = await tokenServer();
    const api = await apiServer();
    const store = createMemoryTokenStore({ 'gitlab/acme': { access_token: 'at-stored', refresh_token: 'rt-stored', expires_at: START + 600_000 } });
    const { send, requester } = setup(oauthNode(`${server.url}/oauth/token`), api, store);
    expect((await send()).body).toEqual({ auth: 'Bearer at-stored' });
    expect(grants).toHaveLength(0);
    await requester.close();
  });

  it('a 401 drops the token, refreshes once and retries', async () => {
    const { server, grants } = await tokenServer({ rotate: true });
    let rejected = 0;
    const api = await startServer((req, res) => {
      if (req.headers.authorization === 'Bearer at-stale') {
        rejected++;
        return json(res, 401, {});
      }
      json(res, 200, { auth: req.headers.authorization });
    });
    servers.push(api);
    const store = createMemoryTokenStore({ 'gitlab/acme': { access_token: 'at-stale', refresh_token: 'rt-9' } });
    const { send, requester } = setup(oauthNode(`${server.url}/oauth/token`), api, store);
    expect((await send()).body).toEqual({ auth: 'Bearer at-1' });
    expect(rejected).toBe(1);
    expect(grants.map((g) => g.get('refresh_token'))).toEqual(['rt-9']);
    await requester.close();
  });

  it('client_credentials with client_secret_basic and scopes', async () => {
    let authorization: string | undefined;
    const wrapped = await startServer((req, res) => {
      authorization = req.headers.authorization;
      json(res, 200, { access_token: 'at-cc', token_type: 'bearer', expires_in: 60 });
    });
    servers.push(wrapped);
    const api = await apiServer();
    const node = oauthNode(`${wrapped.url}/token`, { grant: 'client_credentials', client_auth: 'client_secret_basic', scopes: ['read', 'write'], refresh_token: undefined });
    const { send, requester } = setup(node, api, createMemoryTokenStore());
    expect((await send()).body).toEqual({ auth: 'Bearer at-cc' });
    expect(authorization).toMatch(/^Basic /);
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    const [id, secret] = Buffer.from(authorization!.slice(6), 'base64').toString().split(':').map(decodeURIComponent);
    expect([id, secret]).toEqual(['my-client', SECRET]);
    expect(wrapped.seen[0]?.body).toContain('grant_type=client_credentials');
    expect(wrapped.seen[0]?.body).toContain('scope=read+write');
    await requester.close();
  });

  it('a failing token endpoint is AUTH_TOKEN_REFRESH naming the fields, never the secrets', async () => {
    const { server } = await tokenServer({ fail: true });
    const api = await apiServer();
    const { send, requester } = setup(oauthNode(`${server.url}/oauth/token`), api, createMemoryTokenStore());
    const error = (await send().catch((e: unknown) => e)) as ConnectorError;
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.code).toBe('AUTH_TOKEN_REFRESH');
    expect(error.message).toContain('invalid_grant');
    expect(error.message).toContain('check config "client_id", "client_secret", "refresh_token"');
    const text = [error.message, error.format(), JSON.stringify(error.context)].join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('rt-0');
    await requester.close();
  });

  it('an unreachable token URL is HTTP_NETWORK naming its origin and the error code, not "authorise again"', async () => {
    const tokenBase = await refusedUrl();
    const api = await apiServer();
    const node = oauthNode('{{ config.token_url }}');
    const config = { client_id: 'my-client', client_secret: SECRET, refresh_token: 'rt-0', token_url: `${tokenBase}/oauth/token?tenant=t1` };
    const auth = createAuthenticator(node, { scope: { config }, tokenStore: createMemoryTokenStore(), tokenKey: 'gitlab/acme', urlBase: api.url });
    const error = (await auth.apply({ method: 'GET', url: `${api.url}/projects`, params: {}, headers: {} }).catch((e: unknown) => e)) as ConnectorError;
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.code).toBe('HTTP_NETWORK');
    const port = new URL(tokenBase).port;
    expect(error.message).toBe(`oauth2 refresh_token grant: the token URL ${tokenBase} could not be reached: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${port})`);
    expect(error.hint).toBe('Check the token URL (auth.token_url, from config "token_url") and the network (DNS, firewall, proxy); the credentials were not checked yet.');
    const text = [error.format(), JSON.stringify(error.context)].join('\n');
    for (const hidden of [SECRET, 'rt-0', 'tenant=t1', 'authorise']) expect(text).not.toContain(hidden);
  });
});
