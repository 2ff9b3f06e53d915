import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import type { AirbyteMessage, StreamState } from '../../runtime/protocol/messages.js';
import { createConnector } from '../../runtime/sync/index.js';
import { errors, read, records, startServer, states, statuses, type SeenRequest, type TestServer } from './support.js';

let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

/**
 * `incremental_parent` (audit 9, finding 1): `reviews` visits only the pulls changed since the parent
 * cursor it has fully processed. The parent `pulls` completes (and saves its own cursor) before
 * `reviews` has visited those pulls, so the child must not start from the parent's own state.
 */
const yaml = `name: incparent
version: 1.0.0
spec: { type: object, properties: { base_url: { type: string } } }
requester: { url_base: "{{ config.base_url }}", retry: { attempts: 1 } }
streams:
  pulls:
    schema: { type: object }
    primary_key: number
    cursor_field: updated_at
    request: { path: /pulls }
    incremental: { start: "2023-12-01T00:00:00Z", lower_bound: { into: param, name: since } }
  reviews:
    schema: { type: object }
    primary_key: id
    cursor_field: submitted_at
    concurrency: 1
    partitions: { parent: pulls, as: pull, value: "{ 'number': number }", incremental_parent: true }
    request: { path: "/pulls/{{ partition.pull.number }}/reviews" }
    incremental: { start: "2023-12-01T00:00:00Z", client_filter: true }
    map: '{ "id": id, "pull": $partition.pull.number, "submitted_at": submitted_at }'
`;

const now = () => new Date('2024-03-01T00:00:00Z');
const at = (day: number) => `2024-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;

interface Api {
  pulls: Array<{ number: number; updated_at: string }>;
  /** Answer 403 to the reviews of these pulls (once each). */
  failOnce: Set<number>;
}

function api(count: number): Api {
  return { pulls: Array.from({ length: count }, (_, i) => ({ number: i + 1, updated_at: at(i + 1) })), failOnce: new Set() };
}

function handlerOf(data: Api) {
  return ({ path, query }: SeenRequest) => {
    if (path === '/pulls') {
      const since = query.get('since');
      return { body: data.pulls.filter((p) => !since || p.updated_at >= since) };
    }
    const m = /^\/pulls\/(\d+)\/reviews$/.exec(path);
    if (m) {
      const number = Number(m[1]);
      if (data.failOnce.delete(number)) return { status: 403, body: { message: 'Resource not accessible' } };
      return { body: [{ id: `r${number}`, submitted_at: data.pulls.find((p) => p.number === number)?.updated_at }] };
    }
    return { status: 404, body: { message: `no ${path}` } };
  };
}

/** The state a store would hold after these messages: the last STATE of each stream. */
function lastStates(messages: AirbyteMessage[], previous: StreamState[] = []): StreamState[] {
  const byStream = new Map(previous.map((s) => [s.stream.stream_descriptor.name, s]));
  for (const state of states(messages)) byStream.set(state.stream.stream_descriptor.name, state);
  return [...byStream.values()];
}

const reviewIds = (messages: AirbyteMessage[]) => records(messages, 'reviews').map((r) => r.id as string);
const reviewRequests = (requests: SeenRequest[]) => requests.filter((r) => r.path.endsWith('/reviews')).map((r) => Number(r.path.split('/')[2]));
const stateOf = (saved: StreamState[], stream: string) => saved.find((s) => s.stream.stream_descriptor.name === stream)?.stream.stream_state;

describe('read: incremental_parent keeps the parent cursor the child has processed', () => {
  it('a child partition that fails does not let the next read skip the parents the child never finished', async () => {
    const data = api(6);
    data.failOnce.add(3);
    server = await startServer(handlerOf(data));
    const first = await read(yaml, { base_url: server.url }, { now });
    expect(statuses(first.messages)).toContain('reviews:INCOMPLETE');
    expect(errors(first.messages)).toHaveLength(1);
    const saved = lastStates(first.messages);
    // `pulls` completed and saved its cursor; the child's own record of the parent did not move.
    expect(stateOf(saved, 'pulls')).toEqual({ cursor: at(6) });
    expect(stateOf(saved, 'reviews')).not.toHaveProperty('parent_state');

    const before = server.requests.length;
    const second = await read(yaml, { base_url: server.url }, { now, state: saved });
    expect(errors(second.messages)).toEqual([]);
    const stored = new Set([...reviewIds(first.messages), ...reviewIds(second.messages)]);
    expect([...stored].sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    // The child visited the pulls again from where it last completed (here: the start).
    expect(reviewRequests(server.requests.slice(before))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stateOf(lastStates(second.messages, saved), 'reviews')).toMatchObject({ parent_state: { cursor: at(6) } });
  });

  it('a read stopped part-way through the child (a crash) loses no child record on the next read', async () => {
    const data = api(8);
    server = await startServer(handlerOf(data));
    const connector = createConnector({ manifest: parseManifest(yaml, 'test.yaml'), config: { base_url: server.url }, connectionId: randomUUID(), now });
    const seen: AirbyteMessage[] = [];
    let reviews = 0;
    for await (const message of connector.read()) {
      seen.push(message);
      if (message.type === 'RECORD' && message.record.stream === 'reviews' && ++reviews === 3) break; // killed here
    }
    await connector.close();
    const saved = lastStates(seen);
    expect(stateOf(saved, 'pulls')).toEqual({ cursor: at(8) });

    const second = await read(yaml, { base_url: server.url }, { now, state: saved });
    expect(errors(second.messages)).toEqual([]);
    const stored = new Set([...reviewIds(seen), ...reviewIds(second.messages)]);
    expect(stored.size).toBe(8);
    // Nothing new in the parent: its own stream reads nothing, yet the child revisits every pull.
    expect(records(second.messages, 'pulls')).toEqual([]);
  });

  it('after a complete read only the parents updated since are visited (no full re-read), and the parent is read once', async () => {
    const data = api(5);
    server = await startServer(handlerOf(data));
    const first = await read(yaml, { base_url: server.url }, { now });
    expect(errors(first.messages)).toEqual([]);
    expect(reviewIds(first.messages)).toHaveLength(5);
    const saved = lastStates(first.messages);
    expect(stateOf(saved, 'reviews')).toMatchObject({ parent_state: { cursor: at(5) } });
    expect(server.requests.filter((r) => r.path === '/pulls')).toHaveLength(1); // reviews replayed pulls' values

    data.pulls[1]!.updated_at = at(20); // pull 2 changed
    data.pulls.push({ number: 6, updated_at: at(21) });
    const before = server.requests.length;
    const second = await read(yaml, { base_url: server.url }, { now, state: saved });
    const requests = server.requests.slice(before);
    expect(errors(second.messages)).toEqual([]);
    expect(requests.filter((r) => r.path === '/pulls').map((r) => r.query.get('since'))).toEqual([at(5)]);
    expect(reviewRequests(requests)).toEqual([2, 6]);
    expect(reviewIds(second.messages).sort()).toEqual(['r2', 'r6']);
    const after = lastStates(second.messages, saved);
    expect(stateOf(after, 'reviews')).toMatchObject({ parent_state: { cursor: at(21) } });

    // Nothing changed: the child visits no parent at all.
    const third = await read(yaml, { base_url: server.url }, { now, state: after });
    expect(reviewRequests(server.requests.slice(before + requests.length))).toEqual([]);
    expect(records(third.messages)).toEqual([]);
  });

  it('a child state saved before parent_state existed is still read: its cursors hold, and the parents are visited once from the start', async () => {
    const data = api(3);
    server = await startServer(handlerOf(data));
    const legacy: StreamState[] = [
      { type: 'STREAM', stream: { stream_descriptor: { name: 'pulls' }, stream_state: { cursor: at(3) } } },
      { type: 'STREAM', stream: { stream_descriptor: { name: 'reviews' }, stream_state: { partitions: { '{"pull":{"number":1}}': { cursor: at(1) } }, cursor: at(1) } } },
    ];
    const { messages } = await read(yaml, { base_url: server.url }, { now, state: legacy });
    expect(errors(messages)).toEqual([]);
    expect(reviewRequests(server.requests)).toEqual([1, 2, 3]);
    // Pull 1's review is not newer than its partition's saved cursor: not emitted again.
    expect(reviewIds(messages).sort()).toEqual(['r2', 'r3']);
    expect(stateOf(lastStates(messages), 'reviews')).toMatchObject({ parent_state: { cursor: at(3) }, partitions: { '{"pull":{"number":1}}': { cursor: at(1) } } });
  });

  it('a full_refresh child of an incremental parent visits every parent', async () => {
    const data = api(3);
    server = await startServer(handlerOf(data));
    const saved: StreamState[] = [{ type: 'STREAM', stream: { stream_descriptor: { name: 'pulls' }, stream_state: { cursor: at(3) } } }];
    const catalog = { streams: [{ stream: { name: 'reviews', json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] };
    const { messages } = await read(yaml, { base_url: server.url }, { now, state: saved, catalog: catalog as never });
    expect(reviewIds(messages).sort()).toEqual(['r1', 'r2', 'r3']);
    expect(states(messages)).toEqual([]);
  });
});

describe('read: incremental_parent through two levels (comments → reviews → pulls)', () => {
  const nested = `${yaml}  comments:
    schema: { type: object }
    primary_key: id
    cursor_field: created_at
    concurrency: 1
    partitions: { parent: reviews, as: review, value: "{ 'pull': pull, 'id': id }", incremental_parent: true }
    request: { path: "/pulls/{{ partition.review.pull }}/reviews/{{ partition.review.id }}/comments" }
    incremental: { start: "2023-12-01T00:00:00Z" }
    map: '{ "id": id, "review": $partition.review.id, "created_at": created_at }'
`;
  type Review = { id: string; submitted_at: string };

  it('a failed grandchild partition is retried on the next read; afterwards only new reviews are visited', async () => {
    const pulls = [1, 2, 3].map((number) => ({ number, updated_at: at(number) }));
    const reviewsOf = new Map<number, Review[]>(pulls.map((p) => [p.number, [{ id: `r${p.number}`, submitted_at: p.updated_at }]]));
    const failOnce = new Set(['r2']);
    server = await startServer(({ path, query }) => {
      if (path === '/pulls') return { body: pulls.filter((p) => !query.get('since') || p.updated_at >= query.get('since')!) };
      let m = /^\/pulls\/(\d+)\/reviews$/.exec(path);
      if (m) return { body: reviewsOf.get(Number(m[1])) ?? [] };
      m = /^\/pulls\/(\d+)\/reviews\/(\w+)\/comments$/.exec(path);
      if (m) {
        if (failOnce.delete(m[2]!)) return { status: 403, body: { message: 'no' } };
        return { body: [{ id: `c-${m[2]}`, created_at: at(10) }] };
      }
      return { status: 404, body: { message: `no ${path}` } };
    });
    const comments = (messages: AirbyteMessage[]) => records(messages, 'comments').map((r) => r.id as string);
    const commentRequests = (requests: SeenRequest[]) => requests.filter((r) => r.path.endsWith('/comments')).map((r) => r.path.split('/')[4]);

    const first = await read(nested, { base_url: server.url }, { now });
    expect(statuses(first.messages)).toEqual(expect.arrayContaining(['reviews:COMPLETE', 'comments:INCOMPLETE']));
    const saved = lastStates(first.messages);

    let before = server.requests.length;
    const second = await read(nested, { base_url: server.url }, { now, state: saved });
    expect(errors(second.messages)).toEqual([]);
    expect([...new Set([...comments(first.messages), ...comments(second.messages)])].sort()).toEqual(['c-r1', 'c-r2', 'c-r3']);
    expect(commentRequests(server.requests.slice(before))).toEqual(['r1', 'r2', 'r3']);
    const after = lastStates(second.messages, saved);
    // The grandchild keeps the reviews state it processed, which holds the pulls state under it.
    expect(stateOf(after, 'comments')).toMatchObject({ parent_state: { parent_state: { cursor: at(3) }, partitions: { '{"pull":{"number":1}}': { cursor: at(1) } } } });

    // Pull 1 gets a new review: only it is visited for comments.
    pulls[0]!.updated_at = at(20);
    reviewsOf.get(1)!.push({ id: 'r1b', submitted_at: at(20) });
    before = server.requests.length;
    const third = await read(nested, { base_url: server.url }, { now, state: after });
    expect(errors(third.messages)).toEqual([]);
    expect(commentRequests(server.requests.slice(before))).toEqual(['r1b']);
    expect(comments(third.messages)).toEqual(['c-r1b']);
  });
});
