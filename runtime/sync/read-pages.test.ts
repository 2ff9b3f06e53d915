import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import type { AirbyteMessage } from '../protocol/messages.js';
import { issues, manifest, startServer, type TestServer } from '../../test/engine/support.js';
import { createConnector } from './index.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// A secret with characters JSON escapes: the page-level scan must look for its escaped form.
const TOKEN = 'tok"en\\Secret-123';
const stream = `    request: { path: /items }
    pagination: { type: link_header }
    cursor_field: updated_at
    incremental: { start: "2023-12-01T00:00:00Z" }`;

function connectorFor(url: string) {
  return createConnector({
    manifest: parseManifest(manifest(stream, `auth: { type: bearer, token: "{{ config.token }}" }`), 'test.yaml'),
    config: { base_url: url, token: TOKEN },
    connectionId: randomUUID(),
    sleep: async () => {},
  });
}

/** Two pages of 3 records; on page 1 the second record echoes the token. */
async function echoingServer(): Promise<TestServer> {
  return startServer(({ query }, base) => {
    const page = Number(query.get('page') ?? '1');
    const body = issues(6).slice((page - 1) * 3, page * 3);
    if (page === 1) body[1] = { ...body[1]!, title: `by ${TOKEN}` };
    const headers: Record<string, string> = page === 1 ? { link: `<${base}/items?page=2>; rel="next"` } : {};
    return { body, headers };
  });
}

describe('readPages: the batched read the CLI writes', () => {
  it('yields a page of RECORDs per batch, its lines are the JSON of its messages, and STATE comes after the records it covers', async () => {
    server = await echoingServer();
    const connector = connectorFor(server.url);
    const batches: Array<{ messages: readonly AirbyteMessage[]; lines: string }> = [];
    for await (const batch of connector.readPages()) batches.push(batch);
    await connector.close();
    for (const batch of batches) {
      expect(batch.messages.length).toBeGreaterThan(0);
      expect(batch.lines).toBe(batch.messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
    }
    const pages = batches.filter((b) => b.messages[0]?.type === 'RECORD');
    expect(pages.map((b) => b.messages.length)).toEqual([3, 3]);
    expect(pages.every((b) => b.messages.every((m) => m.type === 'RECORD'))).toBe(true);
    const kinds = batches.flatMap((b) => b.messages.map((m) => m.type));
    expect(kinds.lastIndexOf('RECORD')).toBeLessThan(kinds.indexOf('STATE'));
  });

  it('redacts only the record that echoes a secret; the text never holds it, escaped or not', async () => {
    server = await echoingServer();
    const connector = connectorFor(server.url);
    const batches: Array<{ messages: readonly AirbyteMessage[]; lines: string }> = [];
    for await (const batch of connector.readPages()) batches.push(batch);
    await connector.close();
    const text = batches.map((b) => b.lines).join('');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(JSON.stringify(TOKEN).slice(1, -1));
    const data = batches.flatMap((b) => b.messages.flatMap((m) => (m.type === 'RECORD' ? [m.record.data] : [])));
    expect(data.map((d) => d.title)).toEqual(['Issue 1', 'by ***', 'Issue 3', 'Issue 4', 'Issue 5', 'Issue 6']);
  });

  it('read() is the same messages, one at a time', async () => {
    server = await echoingServer();
    const connector = connectorFor(server.url);
    const flat: AirbyteMessage[] = [];
    for await (const message of connector.read()) flat.push(message);
    const batched: AirbyteMessage[] = [];
    for await (const batch of connector.readPages()) batched.push(...batch.messages);
    await connector.close();
    const strip = (messages: AirbyteMessage[]) => JSON.parse(JSON.stringify(messages).replace(/"emitted_at":\d+/g, '"emitted_at":0')) as unknown;
    expect(strip(flat)).toEqual(strip(batched));
    expect(flat.filter((m) => m.type === 'RECORD')).toHaveLength(6);
  });
});
