import { generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { json, refusedUrl, startServer, type LocalServer } from '../http/test-support/local-server.js';
import type { PreparedRequest } from '../http/types.js';
import { createAuthenticator } from './create-authenticator.js';

const START = Date.parse('2026-01-01T00:00:00Z');
let server: LocalServer | undefined;
afterEach(async () => server?.close());

// GitHub hands out PKCS#1 keys ("BEGIN RSA PRIVATE KEY").
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

/** Verify an RS256 JWT with the App's public key, as GitHub does. */
function verifyJwt(jwt: string): { iss?: unknown; iat?: number; exp?: number } | undefined {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return undefined;
  const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
  return ok ? (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss?: unknown }) : undefined;
}

describe('github_app', () => {
  it('signs a JWT the server verifies with the public key, buys and caches an installation token', async () => {
    const clock = { now: START };
    let minted = 0;
    server = await startServer((req, res) => {
      const claims = verifyJwt((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (req.method !== 'POST' || req.url !== '/app/installations/42/access_tokens' || !claims || claims.iss !== '1234') return json(res, 401, { message: 'A JSON web token could not be decoded' });
      expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(600);
      minted++;
      json(res, 201, { token: `ghs_${minted}`, expires_at: new Date(clock.now + 3600_000).toISOString() });
    });
    const auth = createAuthenticator(
      { type: 'github_app', app_id: '{{ config.app_id }}', private_key: '{{ config.private_key }}', installation_id: '{{ config.installation_id }}' },
      { scope: { config: { app_id: '1234', private_key: privateKey, installation_id: 42 } }, tokenKey: 'github/acme', urlBase: `${server.url}/`, now: () => new Date(clock.now) },
    );
    const apply = async () => {
      const request: PreparedRequest = { method: 'GET', url: 'http://x', params: {}, headers: {} };
      await auth.apply(request);
      return request.headers.Authorization;
    };
    expect(await Promise.all([apply(), apply(), apply()])).toEqual(['Bearer ghs_1', 'Bearer ghs_1', 'Bearer ghs_1']);
    clock.now += 50 * 60_000;
    expect(await apply()).toBe('Bearer ghs_1');
    clock.now += 6 * 60_000; // within 5 minutes of expiry
    expect(await apply()).toBe('Bearer ghs_2');
    expect(await auth.invalidate()).toBe(true);
    expect(await apply()).toBe('Bearer ghs_3');
    expect(auth.credentialFields).toEqual(['app_id', 'private_key', 'installation_id']);
  });

  it('a rejected JWT is AUTH_TOKEN_REFRESH naming the App fields, without the key', async () => {
    server = await startServer((_req, res) => json(res, 401, { message: 'Integration not found' }));
    const auth = createAuthenticator(
      { type: 'github_app', app_id: '{{ config.app_id }}', private_key: '{{ config.private_key }}', installation_id: '{{ config.installation_id }}', token_url: `${server.url}/custom/token` },
      { scope: { config: { app_id: '1', private_key: privateKey, installation_id: '7' } }, tokenKey: 'k', urlBase: 'http://unused' },
    );
    const error = (await auth.apply({ method: 'GET', url: 'http://x', params: {}, headers: {} }).catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('AUTH_TOKEN_REFRESH');
    expect(error.message).toContain('answered 401: Integration not found');
    expect(error.message).toContain('check config "app_id", "private_key", "installation_id"');
    expect(error.format()).not.toContain('PRIVATE KEY');
    expect(server.seen[0]?.url).toBe('/custom/token');
  });

  it('an API it cannot reach is HTTP_NETWORK naming the origin and the error, not a credentials problem', async () => {
    const base = await refusedUrl();
    const auth = createAuthenticator(
      { type: 'github_app', app_id: '{{ config.app_id }}', private_key: '{{ config.private_key }}', installation_id: '{{ config.installation_id }}' },
      { scope: { config: { app_id: '1', private_key: privateKey, installation_id: '7' } }, tokenKey: 'k', urlBase: `${base}/` },
    );
    const error = (await auth.apply({ method: 'GET', url: 'http://x', params: {}, headers: {} }).catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('HTTP_NETWORK');
    expect(error.message).toBe(`github_app installation token: ${new URL(base).origin} could not be reached: ECONNREFUSED (connect ECONNREFUSED ${new URL(base).host})`);
    expect(error.hint).toMatch(/^Check the API base URL and the network/);
    expect(error.format()).not.toContain('PRIVATE KEY');
  });
});
