import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { collectRepeatedly, forceGc } from './test-support/gc.js';
import { startServer, type LocalServer } from './test-support/local-server.js';
import { sendOnce, TransportError } from './transport.js';

/**
 * An attempt must end by its timeout (or the caller's abort) whatever the server does after
 * connecting, with garbage collections under way: undici follows a Request's parent signal through
 * a WeakRef (nodejs/undici#3644), and a body that trickled forever once hung past the timeout as
 * soon as a GC dropped that link. These tests hang (vitest's timeout fails them) if it comes back.
 */

let server: LocalServer | undefined;
const trickles = new Set<NodeJS.Timeout>();
afterEach(async () => {
  for (const timer of trickles) clearInterval(timer);
  trickles.clear();
  await server?.close();
  server = undefined;
});

const get = (url: string) => ({ method: 'GET' as const, url, params: {}, headers: {} });

/** Headers and the start of a JSON array, then one space every 20 ms, never the end. */
function trickleForever(res: ServerResponse, onFirstByte?: () => void): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('[', () => onFirstByte?.());
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write(' ');
  }, 20);
  trickles.add(timer);
}

/** The attempt's outcome, with GCs every 30 ms while it runs. */
async function underGc<T>(attempt: () => Promise<T>): Promise<T | unknown> {
  const stop = collectRepeatedly(30);
  try {
    return await attempt().then(
      () => 'answered',
      (error: unknown) => error,
    );
  } finally {
    stop();
  }
}

describe('sendOnce ends every attempt by its timeout', () => {
  it('has a way to force a GC here (else the tests below fall back to allocating)', () => {
    expect(forceGc()).toBeTypeOf('function');
  });

  it('a body that trickles forever: three attempts in a row each end with the timeout error, GC or not', { timeout: 5000 }, async () => {
    server = await startServer((_req, res) => trickleForever(res));
    for (let i = 0; i < 3; i++) {
      const outcome = await underGc(() => sendOnce(get(`${server!.url}/slow`), 300, undefined));
      expect(outcome).toBeInstanceOf(TransportError);
      expect(outcome).toMatchObject({ kind: 'timeout', message: 'timed out after 300 ms' });
    }
    expect(server.seen).toHaveLength(3);
  });

  it('headers that never come end with the timeout error under GC too', { timeout: 5000 }, async () => {
    server = await startServer(() => undefined);
    for (let i = 0; i < 2; i++) {
      const outcome = await underGc(() => sendOnce(get(`${server!.url}/silent`), 300, undefined));
      expect(outcome).toMatchObject({ kind: 'timeout' });
    }
  });

  it("the caller's signal aborting mid-body ends the attempt with its reason, not a transport error", { timeout: 5000 }, async () => {
    const outer = new AbortController();
    const reason = new Error('shutting down');
    server = await startServer((_req, res) => trickleForever(res, () => setTimeout(() => outer.abort(reason), 150)));
    const outcome = await underGc(() => sendOnce(get(`${server!.url}/slow`), 60_000, outer.signal));
    expect(outcome).toBe(reason);
  });
});
