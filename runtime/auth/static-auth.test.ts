import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PreparedRequest } from '../http/types.js';
import { createAuthenticator } from './create-authenticator.js';
import { credentialFields } from './credential-fields.js';
import { createFileTokenStore } from './file-token-store.js';
import type { AuthNode } from './schema.js';

const config = { token: 'tok-123456', email: 'me@example.com', api_token: 'pw-999999', key: 'key-777777' };
const ctx = { scope: { config }, tokenKey: 'k', urlBase: 'http://127.0.0.1' };

async function applied(node: AuthNode | undefined): Promise<PreparedRequest> {
  const request: PreparedRequest = { method: 'GET', url: 'http://x', params: {}, headers: {} };
  await createAuthenticator(node, ctx).apply(request);
  return request;
}

describe('createAuthenticator (static schemes)', () => {
  const cases: { name: string; node: AuthNode | undefined; headers: Record<string, string>; params: Record<string, string>; fields: string[] }[] = [
    { name: 'absent → none', node: undefined, headers: {}, params: {}, fields: [] },
    { name: 'bearer', node: { type: 'bearer', token: '{{ config.token }}' }, headers: { Authorization: 'Bearer tok-123456' }, params: {}, fields: ['token'] },
    { name: 'api_key in a header with a prefix', node: { type: 'api_key', inject_into: 'header', name: 'Authorization', value: 'Token {{ config.key }}' }, headers: { Authorization: 'Token key-777777' }, params: {}, fields: ['key'] },
    { name: 'api_key in the query', node: { type: 'api_key', inject_into: 'query', name: 'api_key', value: '{{ config.key }}' }, headers: {}, params: { api_key: 'key-777777' }, fields: ['key'] },
    {
      name: 'basic',
      node: { type: 'basic', username: '{{ config.email }}', password: '{{ config.api_token }}' },
      headers: { Authorization: `Basic ${Buffer.from('me@example.com:pw-999999').toString('base64')}` },
      params: {},
      fields: ['email', 'api_token'],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const request = await applied(c.node);
      expect(request.headers).toEqual(c.headers);
      expect(request.params).toEqual(c.params);
      expect(createAuthenticator(c.node, ctx).credentialFields).toEqual(c.fields);
      expect(await createAuthenticator(c.node, ctx).invalidate()).toBe(false);
    });
  }

  it('an empty credential names the config key to set', async () => {
    const auth = createAuthenticator({ type: 'bearer', token: '{{ config.missing }}' }, ctx);
    await expect(auth.apply({ method: 'GET', url: 'http://x', params: {}, headers: {} })).rejects.toMatchObject({
      code: 'AUTH_INVALID_CREDENTIALS',
      message: 'the bearer token is empty: set config "missing"',
    });
  });
});

describe('credentialFields', () => {
  it('reads config keys out of template sources', () => {
    expect(credentialFields(['{{ config.a }}:{{ $config.b }}', '{{ config.`odd-name` }}', undefined, 'plain', '{{ config.a }}'])).toEqual(['a', 'b', 'odd-name']);
  });
});

describe('createFileTokenStore', () => {
  it('round-trips tokens per key in a 0600 JSON file; a missing file is empty', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'tokens-')), 'sub', 'tokens.json');
    const store = createFileTokenStore(path);
    expect(await store.load('a')).toBeUndefined();
    await Promise.all([store.save('a', { access_token: 'x', refresh_token: 'r', expires_at: 1 }), store.save('b', { access_token: 'y' })]);
    expect(await store.load('a')).toEqual({ access_token: 'x', refresh_token: 'r', expires_at: 1 });
    expect(await createFileTokenStore(path).load('b')).toEqual({ access_token: 'y' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toHaveProperty('a');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
