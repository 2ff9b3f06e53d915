import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthNodeOf } from '../../runtime/auth/schema.js';
import { resolveConfig } from '../../runtime/config/index.js';
import { compileTemplate } from '../../runtime/expressions/index.js';
import { loadManifest, type LoadedManifest } from '../../runtime/manifest/index.js';
import { createConnector } from '../../runtime/sync/index.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.js';

/**
 * The three credentials of the GitHub connector: a token, an OAuth app with a refresh token, and a
 * GitHub App installation. The manifest's `auth` is a `selector` that picks one from the config; each
 * is proven end to end against the fake GitHub (which checks the refresh grant and the App JWT's
 * RS256 signature).
 */

let manifest: LoadedManifest;
let auth: AuthNodeOf<'selector'>;
const servers: FakeGitHub[] = [];

beforeAll(async () => {
  manifest = await loadManifest('manifests/github.yaml');
  auth = manifest.node.auth as AuthNodeOf<'selector'>;
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

async function checkAndRead(variant: 'token' | 'oauth' | 'app', raw: Record<string, unknown>, server: FakeGitHub) {
  const m = manifest;
  const config = resolveConfig(raw, manifest, { env: {} });
  const connector = createConnector({ manifest: m, config, connectionId: `auth-${variant}-${Date.now()}`, urlBaseOverride: server.url, sleep: async () => {} });
  const status = await connector.check();
  let records = 0;
  for await (const message of connector.read({ streams: [{ stream: { name: 'repositories', json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] })) {
    if (message.type === 'RECORD') records++;
  }
  await connector.close();
  return { status, records };
}

describe('manifests/github.yaml credentials', () => {
  it('the select template picks the credential the config holds', async () => {
    expect(auth.type).toBe('selector');
    expect(Object.keys(auth.options).sort()).toEqual(['app', 'oauth', 'token']);
    const select = compileTemplate(auth.select);
    expect(await select.render({ config: { token: 't' } })).toBe('token');
    expect(await select.render({ config: { oauth: { client_id: 'c' } } })).toBe('oauth');
    expect(await select.render({ config: { app: { app_id: 1 } } })).toBe('app');
  });

  it('the spec accepts each credential alone and refuses a config with none', () => {
    const base = { repositories: ['octo-org/hello-world'] };
    expect(() => resolveConfig({ ...base, token: 't' }, manifest, { env: {} })).not.toThrow();
    expect(() => resolveConfig({ ...base, oauth: { client_id: 'c', client_secret: 's', refresh_token: 'r' } }, manifest, { env: {} })).not.toThrow();
    expect(() => resolveConfig({ ...base, app: { app_id: 1, private_key: 'k', installation_id: 2 } }, manifest, { env: {} })).not.toThrow();
    expect(() => resolveConfig(base, manifest, { env: {} })).toThrow();
    expect(() => resolveConfig({ token: 't' }, manifest, { env: {} })).toThrow();
  });

  it('token: bearer token', async () => {
    const server = await startFakeGitHub();
    servers.push(server);
    const result = await checkAndRead('token', { token: 'test-token', repositories: ['octo-org/hello-world'] }, server);
    expect(result.status).toMatchObject({ connectionStatus: { status: 'SUCCEEDED' } });
    expect(result.records).toBe(1);
  });

  it('oauth: refresh-token grant at token_url, then the access token as bearer', async () => {
    const server = await startFakeGitHub({ oauth: { clientId: 'Iv1.client', clientSecret: 'shh', refreshToken: 'ghr_refresh' } });
    servers.push(server);
    const oauth = { client_id: 'Iv1.client', client_secret: 'shh', refresh_token: 'ghr_refresh', token_url: `${server.url}/login/oauth/access_token` };
    const result = await checkAndRead('oauth', { oauth, repositories: ['octo-org/hello-world'] }, server);
    expect(result.status).toMatchObject({ connectionStatus: { status: 'SUCCEEDED' } });
    expect(result.records).toBe(1);
    expect(server.requests.filter((r) => r.path === '/login/oauth/access_token').length).toBeGreaterThanOrEqual(1);
    expect(server.requests.find((r) => r.path === '/user')?.headers.authorization).toBe('Bearer test-token');
  });

  it('oauth: a wrong refresh token fails check with a message naming the oauth credentials', async () => {
    const server = await startFakeGitHub({ oauth: { clientId: 'Iv1.client', clientSecret: 'shh', refreshToken: 'ghr_refresh' } });
    servers.push(server);
    const oauth = { client_id: 'Iv1.client', client_secret: 'shh', refresh_token: 'ghr_revoked', token_url: `${server.url}/login/oauth/access_token` };
    const { status } = await checkAndRead('oauth', { oauth, repositories: ['octo-org/hello-world'] }, server);
    expect(status).toMatchObject({ connectionStatus: { status: 'FAILED' } });
    const message = status.type === 'CONNECTION_STATUS' ? (status.connectionStatus.message ?? '') : '';
    expect(message).toMatch(/oauth/);
    expect(message).not.toContain('ghr_revoked');
    expect(message).not.toContain('shh');
  });

  it('app: a JWT signed with the private key buys an installation token', async () => {
    const server = await startFakeGitHub({ app: { appId: '12345', publicKey, installationId: '678' } });
    servers.push(server);
    const app = { app_id: 12345, private_key: privateKey, installation_id: 678 };
    const result = await checkAndRead('app', { app, repositories: ['octo-org/hello-world'] }, server);
    expect(result.status).toMatchObject({ connectionStatus: { status: 'SUCCEEDED' } });
    expect(result.records).toBe(1);
    expect(server.requests.filter((r) => r.path === '/app/installations/678/access_tokens')).toHaveLength(1);
  });
});
