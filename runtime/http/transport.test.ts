import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { sendOnce, TransportError } from './transport.js';
import { json, refusedUrl, startServer, type LocalServer } from './test-support/local-server.js';

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * Node 20 keeps, on a signal passed to `AbortSignal.any`, a set of its dependants that is never
 * pruned (5,000 requests → 5,000 entries, even after GC): the leak this guards against. Internal
 * state, read by its symbol's description; 0 when the set does not exist.
 */
function dependants(signal: AbortSignal): number {
  const symbol = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const set = symbol ? (signal as unknown as Record<symbol, { size?: number } | undefined>)[symbol] : undefined;
  return set?.size ?? 0;
}

const get = (url: string) => ({ method: 'GET' as const, url, params: {}, headers: {} });

describe('sendOnce with one long-lived outer signal', () => {
  it('5,000 requests (50 at a time) add no lasting listener and raise no MaxListenersExceededWarning', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    const outer = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    let peak = 0;
    try {
      for (let batch = 0; batch < 100; batch++) {
        const inFlight = Array.from({ length: 50 }, () => sendOnce(get(`${server!.url}/x`), 5000, outer.signal));
        peak = Math.max(peak, getEventListeners(outer.signal, 'abort').length);
        const answers = await Promise.all(inFlight);
        expect(answers.every((a) => a.status === 200)).toBe(true);
      }
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(server.seen).toHaveLength(5000);
    expect(peak).toBe(1); // one shared listener while requests are in flight, not one per request
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0);
    expect(dependants(outer.signal)).toBe(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('aborting the outer signal aborts every attempt in flight, then leaves no listener', async () => {
    server = await startServer(() => undefined); // never answers
    const outer = new AbortController();
    const pending = Array.from({ length: 3 }, () => sendOnce(get(`${server!.url}/slow`), 60_000, outer.signal).then(() => 'answered', (error: unknown) => error));
    await new Promise((resolve) => setTimeout(resolve, 50));
    outer.abort();
    const results = await Promise.all(pending);
    for (const result of results) expect(result).not.toBeInstanceOf(TransportError); // an abort is not a network error
    expect(results.every((r) => r !== 'answered')).toBe(true);
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0);
  });

  it('an already aborted signal sends nothing', async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    const outer = new AbortController();
    outer.abort();
    await expect(sendOnce(get(`${server.url}/x`), 1000, outer.signal)).rejects.toBeDefined();
    expect(server.seen).toHaveLength(0);
  });

  it('the per-attempt timer is still reported as a timeout with an outer signal', async () => {
    server = await startServer(() => undefined);
    const outer = new AbortController();
    await expect(sendOnce(get(`${server.url}/slow`), 30, outer.signal)).rejects.toMatchObject({ kind: 'timeout' });
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0);
  });
});

describe('sendOnce network failures say what failed', () => {
  it('a refused connection names the system error; a port fetch blocks (9) says so instead of a bare "fetch failed"', async () => {
    const refused = await refusedUrl();
    await expect(sendOnce(get(`${refused}/x`), 2000, undefined)).rejects.toThrow(new TransportError('network', `ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${new URL(refused).port})`));
    await expect(sendOnce(get('http://127.0.0.1:9/x'), 2000, undefined)).rejects.toThrow(
      'fetch failed: bad port (fetch never connects to the ports the Fetch standard blocks: use another port)',
    );
  });
});
