import { afterEach, describe, expect, it } from 'vitest';
import { createFaultInjector } from './faults.js';
import { json, startLocalServer, type LocalServer } from './serve.js';

const open: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function outcomes(seed: number, count: number, path = (i: number) => `/r/${i}`) {
  const injector = createFaultInjector({ seed, rateLimited: 0.2, serverErrors: 0.2, burst: 2, connectionResets: 0.1, truncated: 0.1, slow: 0.1, slowMs: 1 });
  const server = await startLocalServer(injector.wrap(async () => json(200, { ok: true, padding: 'x'.repeat(200) })));
  open.push(server);
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const response = await fetch(`${server.url}${path(i)}`);
      const text = await response.text();
      seen.push(response.status === 200 ? (JSON.parse(text) as { ok: boolean }).ok ? 'ok' : 'bad' : String(response.status));
    } catch {
      seen.push('network');
    }
  }
  return { seen, stats: injector.stats() };
}

describe('createFaultInjector', () => {
  it('is deterministic for a seed', async () => {
    const a = await outcomes(7, 30);
    const b = await outcomes(7, 30);
    expect(a.seen).toEqual(b.seen);
    expect(a.stats).toEqual(b.stats);
  });

  it('meets every configured kind first: 429 with Retry-After, 5xx, reset, truncated body, slow', async () => {
    const { seen, stats } = await outcomes(3, 5);
    expect(seen.slice(0, 4)).toEqual(['429', expect.stringMatching(/^50[023]$/), 'network', 'network']);
    expect(stats).toMatchObject({ rateLimited: 1, serverErrors: 1, connectionResets: 1, truncated: 1, slow: 1 });
  });

  it('never faults one request more than maxConsecutive times in a row', async () => {
    const { seen } = await outcomes(11, 60, () => '/same');
    let run = 0;
    for (const outcome of seen) {
      run = outcome === 'ok' ? 0 : run + 1;
      expect(run).toBeLessThanOrEqual(2);
    }
  });
});
