import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import { createConnector } from '../../runtime/sync/index.js';
import { issues, manifest, read, records, startServer, type TestServer } from './support.js';

let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

describe('read: concurrency and back-pressure', () => {
  it('reads partitions concurrently up to the stream’s `concurrency`, each partition’s pages in order', async () => {
    let inFlight = 0;
    let peak = 0;
    server = await startServer(async ({ path, query }) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight--;
      const page = Number(query.get('page'));
      const repo = path.split('/')[2];
      return { body: page <= 3 ? [{ id: `${repo}-${page}` }] : [] };
    });
    const yaml = manifest(`    partitions: { list: "{{ config.repos }}", as: repo }
    concurrency: 3
    request: { path: "/repos/{{ partition.repo }}/items" }
    pagination: { type: page_number, page_param: { into: param, name: page } }`);
    const repos = ['a', 'b', 'c', 'd', 'e', 'f'];
    const { messages } = await read(yaml, { base_url: server.url, repos });
    expect(peak).toBe(3);
    const ids = records(messages).map((r) => String(r.id));
    expect(ids).toHaveLength(18);
    for (const repo of repos) expect(ids.filter((id) => id.startsWith(`${repo}-`))).toEqual([`${repo}-1`, `${repo}-2`, `${repo}-3`]);
  });

  it('does not read ahead of a slow consumer (memory stays flat)', async () => {
    server = await startServer(({ query }) => ({ body: issues(100).map((r) => ({ ...r, id: Number(query.get('page')) * 1000 + r.id })) }));
    const yaml = manifest(`    request: { path: /items }
    pagination: { type: page_number, page_param: { into: param, name: page }, size: 100 }`);
    const connector = createConnector({ manifest: parseManifest(yaml), config: { base_url: server.url }, connectionId: randomUUID() });
    const iterator = connector.read()[Symbol.asyncIterator]();
    let seen = 0;
    while (seen < 150) if ((await iterator.next()).value?.type === 'RECORD') seen++;
    await new Promise((resolve) => setTimeout(resolve, 100)); // a slow consumer
    const fetched = server.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Two pages consumed; the read holds at most one page handed over and one request in flight,
    // then waits: it never fetches the whole (endless) stream into memory.
    expect(server.requests.length).toBe(fetched);
    expect(fetched).toBeLessThanOrEqual(2 + 2);
    await iterator.return?.(undefined);
    await connector.close();
  });
});
