import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../auth/index.js';
import { createRequester } from './create-requester.js';
import { isCircuitOpenError, type CircuitOpenError } from './errors.js';
import { json, refusedUrl, startServer, type LocalServer } from './test-support/local-server.js';

let server: LocalServer | undefined;

/** One attempt per request, no waits; the breaker opens after 2 failures out of 2. */
function breakerRequester(url: string, connectionId: string, resetMs: number) {
  return createRequester({
    requester: {
      url_base: url,
      timeout_ms: 2000,
      retry: { attempts: 1, backoff: 'constant', base_ms: 0, max_ms: 0, jitter: 'none', max_total_wait_ms: 0 },
      circuit_breaker: { error_threshold_percentage: 50, volume_threshold: 2, rolling_window_ms: 10_000, reset_timeout_ms: resetMs },
    },
    auth: createAuthenticator({ type: 'none' }, { scope: {}, tokenKey: 'k', urlBase: url }),
    connectorName: 'github',
    connectionId,
    scope: {},
    sleep: async () => undefined,
  });
}
afterEach(async () => server?.close());

describe('circuit breaker', () => {
  it('opens after sustained failures, fails fast, then half-opens and closes on a good probe', async () => {
    let healthy = false;
    server = await startServer((_q, res) => json(res, healthy ? 200 : 503, {}));
    const url = server.url;
    const requester = breakerRequester(url, 'acme', 200);
    const send = () => requester.send({ method: 'GET', url: `${url}/x`, params: {}, headers: {}, label: 'items' });
    expect(requester.breakerState()).toBe('closed');
    await expect(send()).rejects.toMatchObject({ code: 'HTTP_RETRIES_EXHAUSTED' });
    await expect(send()).rejects.toMatchObject({ code: 'HTTP_RETRIES_EXHAUSTED' });
    expect(requester.breakerState()).toBe('open');

    const error = await send().catch((e: unknown) => e);
    expect(isCircuitOpenError(error)).toBe(true);
    expect((error as Error).message).toBe(`github/acme: circuit open after 2 failures; last failure: HTTP 503 Service Unavailable from ${url}; next probe in 1s`);
    expect((error as CircuitOpenError).hint).toBe(`The API at ${url} kept failing: wait for it to recover. Requests fail fast until the probe succeeds.`);
    expect(server.seen).toHaveLength(2);

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requester.breakerState()).toBe('half_open');
    healthy = true;
    expect((await send()).status).toBe(200);
    expect(requester.breakerState()).toBe('closed');
    await requester.close();
  });

  it('an unreachable URL base: the open circuit names the origin (no path or query) and the network error, and says to check base_url', async () => {
    const base = await refusedUrl();
    const requester = breakerRequester(base, 'unreachable', 60_000);
    const send = () => requester.send({ method: 'GET', url: `${base}/repos/o/r?access_token=hush-123`, params: {}, headers: {}, label: 'items' });
    await expect(send()).rejects.toMatchObject({ code: 'HTTP_NETWORK' });
    await expect(send()).rejects.toMatchObject({ code: 'HTTP_NETWORK' });
    const error = (await send().catch((e: unknown) => e)) as CircuitOpenError;
    expect(isCircuitOpenError(error)).toBe(true);
    const port = new URL(base).port;
    expect(error.message).toMatch(new RegExp(`^github/unreachable: circuit open after 2 failures; last failure: ECONNREFUSED \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\) from http://127\\.0\\.0\\.1:${port}; next probe in 60s$`));
    expect(error.hint).toContain(`http://127.0.0.1:${port} could not be reached: check the URL base (e.g. the config's base_url) and the network`);
    expect(error.format()).not.toMatch(/hush-123|\/repos\//);
    await requester.close();
  });
});
