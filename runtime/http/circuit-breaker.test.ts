import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../auth/index.js';
import { createRequester } from './create-requester.js';
import { isCircuitOpenError } from './errors.js';
import { json, startServer, type LocalServer } from './test-support/local-server.js';

let server: LocalServer | undefined;
afterEach(async () => server?.close());

describe('circuit breaker', () => {
  it('opens after sustained failures, fails fast, then half-opens and closes on a good probe', async () => {
    let healthy = false;
    server = await startServer((_q, res) => json(res, healthy ? 200 : 503, {}));
    const url = server.url;
    const requester = createRequester({
      requester: {
        url_base: url,
        timeout_ms: 2000,
        retry: { attempts: 1, backoff: 'constant', base_ms: 0, max_ms: 0, jitter: 'none', max_total_wait_ms: 0 },
        circuit_breaker: { error_threshold_percentage: 50, volume_threshold: 2, rolling_window_ms: 10_000, reset_timeout_ms: 200 },
      },
      auth: createAuthenticator({ type: 'none' }, { scope: {}, tokenKey: 'k', urlBase: url }),
      connectorName: 'github',
      connectionId: 'acme',
      scope: {},
      sleep: async () => undefined,
    });
    const send = () => requester.send({ method: 'GET', url: `${url}/x`, params: {}, headers: {}, label: 'items' });
    expect(requester.breakerState()).toBe('closed');
    await expect(send()).rejects.toMatchObject({ code: 'HTTP_RETRIES_EXHAUSTED' });
    await expect(send()).rejects.toMatchObject({ code: 'HTTP_RETRIES_EXHAUSTED' });
    expect(requester.breakerState()).toBe('open');

    const error = await send().catch((e: unknown) => e);
    expect(isCircuitOpenError(error)).toBe(true);
    expect((error as Error).message).toBe('github/acme: circuit open after 2 failures; next probe in 1s');
    expect(server.seen).toHaveLength(2);

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requester.breakerState()).toBe('half_open');
    healthy = true;
    expect((await send()).status).toBe(200);
    expect(requester.breakerState()).toBe('closed');
    await requester.close();
  });
});
