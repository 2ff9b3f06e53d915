import { describe, expect, it } from 'vitest';
import type { PreparedRequest } from '../http/types.js';
import { createAuthenticator } from './create-authenticator.js';
import type { AuthNode } from './schema.js';

const selector: AuthNode = {
  type: 'selector',
  select: "{{ $exists(config.key) ? 'key' : 'token' }}",
  options: {
    token: { type: 'bearer', token: '{{ config.token }}' },
    key: { type: 'api_key', inject_into: 'header', name: 'X-Key', value: '{{ config.key }}' },
  },
};

function request(): PreparedRequest {
  return { method: 'GET', url: 'http://x', params: {}, headers: {} };
}

describe('createAuthenticator({ type: selector })', () => {
  it('uses the option the config selects', async () => {
    const byToken = request();
    await createAuthenticator(selector, { scope: { config: { token: 't-1' } }, tokenKey: 'k', urlBase: 'http://x' }).apply(byToken);
    expect(byToken.headers).toEqual({ Authorization: 'Bearer t-1' });

    const byKey = request();
    await createAuthenticator(selector, { scope: { config: { key: 'k-1' } }, tokenKey: 'k', urlBase: 'http://x' }).apply(byKey);
    expect(byKey.headers).toEqual({ 'X-Key': 'k-1' });
  });

  it('names every candidate credential before the choice, and the chosen one after it', async () => {
    const auth = createAuthenticator(selector, { scope: { config: { key: 'k-1' } }, tokenKey: 'k', urlBase: 'http://x' });
    expect(auth.credentialFields).toEqual(['token', 'key']);
    await auth.apply(request());
    expect(auth.credentialFields).toEqual(['key']);
  });

  it('refuses a selection that names no option, listing the options', async () => {
    const auth = createAuthenticator({ ...selector, select: 'oauth' } as AuthNode, { scope: { config: {} }, tokenKey: 'k', urlBase: 'http://x' });
    await expect(auth.apply(request())).rejects.toMatchObject({
      code: 'AUTH_INVALID_CREDENTIALS',
      message: 'auth.select rendered "oauth", which is not one of: token, key',
    });
  });
});
