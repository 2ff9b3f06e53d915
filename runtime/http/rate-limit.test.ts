import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../auth/index.js';
import { createRequester } from './create-requester.js';
import { isRateLimitedError } from './errors.js';
import { resetWaitMs } from './rate-limit.js';
import type { RequesterNode } from './schema.js';
import { json, startServer, type LocalServer } from './test-support/local-server.js';
import type { Requester } from './types.js';

const START = Date.parse('2026-01-01T00:00:00Z');
let servers: LocalServer[] = [];
let requesters: Requester[] = [];
let run = 0;

afterEach(async () => {
  await Promise.all(requesters.map((r) => r.close()));
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  requesters = [];
});

function make(server: LocalServer, node: Partial<RequesterNode>, connectionId: string, clock = { now: START }, sleeps: number[] = []): Requester {
  const requester = createRequester({
    requester: { url_base: server.url, timeout_ms: 5000, ...node },
    auth: createAuthenticator(undefined, { scope: {}, tokenKey: 'k', urlBase: server.url }),
    connectorName: `rate-${run}`,
    connectionId,
    scope: {},
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    now: () => new Date(clock.now),
  });
  requesters.push(requester);
  return requester;
}

const get = (requester: Requester, server: LocalServer) => requester.send({ method: 'GET', url: `${server.url}/x`, params: {}, headers: {}, label: 'items' });

describe('rate limits', () => {
  it('pauses before the next request once remaining drops below pause_below, until the reset', async () => {
    run++;
    const server = await startServer((_q, res, _b, index) =>
      json(res, 200, {}, { 'x-ratelimit-remaining': index === 0 ? '0' : '4999', 'x-ratelimit-reset': String(START / 1000 + 45) }),
    );
    servers.push(server);
    const clock = { now: START };
    const sleeps: number[] = [];
    const node: Partial<RequesterNode> = {
      rate_limit: { requests: 1000, per: 'second', scope: 'connection', remaining_header: 'X-RateLimit-Remaining', reset_header: 'X-RateLimit-Reset', reset_format: 'epoch_seconds', pause_below: 1 },
    };
    const requester = make(server, node, 'a', clock, sleeps);
    await get(requester, server);
    expect(sleeps).toEqual([]);
    await get(requester, server);
    expect(sleeps).toEqual([45_000]);
    expect(requester.stats()).toMatchObject({ requests: 2, rateLimitWaits: 1, rateLimitRemaining: 4999 });
    await get(requester, server);
    expect(sleeps).toEqual([45_000]);
  });

  it('fails with RATE_LIMITED when the reset is further away than max_total_wait_ms', async () => {
    run++;
    const server = await startServer((_q, res) => json(res, 200, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(START / 1000 + 3600) }));
    servers.push(server);
    const requester = make(server, {
      retry: { attempts: 3, backoff: 'exponential', base_ms: 100, max_ms: 1000, jitter: 'full', max_total_wait_ms: 60_000 },
      rate_limit: { requests: 100, per: 'second', scope: 'connection', remaining_header: 'x-ratelimit-remaining', reset_header: 'x-ratelimit-reset', reset_format: 'epoch_seconds', pause_below: 1 },
    }, 'a');
    await get(requester, server);
    const error = await get(requester, server).catch((e: unknown) => e);
    expect(isRateLimitedError(error)).toBe(true);
    expect((error as Error).message).toContain('resets in 3600s');
  });

  it('never exceeds the declared budget, shared by requesters of one connection', async () => {
    run++;
    const server = await startServer((_q, res) => json(res, 200, {}));
    servers.push(server);
    const node: Partial<RequesterNode> = { rate_limit: { requests: 5, per: 'second', scope: 'connection', reset_format: 'epoch_seconds', pause_below: 1 } };
    // Two instances of the same connection (e.g. two partitions' requesters) share one budget.
    const first = make(server, node, 'shared');
    const second = make(server, node, 'shared');
    const all = Array.from({ length: 10 }, (_, i) => get(i % 2 ? first : second, server));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.seen).toHaveLength(5);
    await Promise.all(all);
    expect(server.seen).toHaveLength(10);
  });

  it('reads reset headers in every declared format', () => {
    const now = START;
    expect(resetWaitMs(String(now / 1000 + 10), 'epoch_seconds', now)).toBe(10_000);
    expect(resetWaitMs(String(now + 2500), 'epoch_ms', now)).toBe(2500);
    expect(resetWaitMs('7', 'seconds', now)).toBe(7000);
    expect(resetWaitMs(new Date(now + 60_000).toUTCString(), 'http_date', now)).toBe(60_000);
    expect(resetWaitMs('soon', 'epoch_seconds', now)).toBeUndefined();
  });
});
