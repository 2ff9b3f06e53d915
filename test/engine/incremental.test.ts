import { afterEach, describe, expect, it } from 'vitest';
import type { StreamState } from '../../runtime/protocol/messages.js';
import { errors, issues, manifest, read, records, startServer, states, type TestServer } from './support.js';

let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const now = () => new Date('2024-01-02T12:00:00Z');
type Item = { id: number; updated_at: string };

/** An API that filters by `since` (inclusive) and pages by page number, ascending. */
const sinceApi = (data: Item[]) => startServer(({ query }) => {
  const since = query.get('since');
  const kept = data.filter((r) => !since || r.updated_at >= since);
  const page = Number(query.get('page') ?? 1);
  return { body: kept.slice((page - 1) * 10, page * 10) };
});

const incrementalStream = (incremental: string) => `    cursor_field: updated_at
    request: { path: /items }
    pagination: { type: page_number, page_param: { into: param, name: page }, size: 10 }
    incremental: ${incremental}`;


/** Incremental on updated_at in 12-hour windows from 2024-01-01, bounds sent as ?from=&to=. */
const windowedManifest = () =>
  manifest(`    cursor_field: updated_at
    request: { path: /items }
    incremental:
      start: "2024-01-01T00:00:00Z"
      windows: { step: PT12H, start_param: { into: param, name: from }, end_param: { into: param, name: to } }`);

describe('read: incremental', () => {
  it('a second read with the saved state yields only newer records', async () => {
    const data: Item[] = issues(25);
    server = await sinceApi(data);
    const yaml = manifest(incrementalStream('{ start: "2023-12-01T00:00:00Z", lower_bound: { into: param, name: since } }'));
    const first = await read(yaml, { base_url: server.url }, { now });
    expect(records(first.messages)).toHaveLength(25);
    const last = states(first.messages).at(-1)!;
    expect(last.stream.stream_state).toEqual({ cursor: '2024-01-02T00:00:00.000Z' });

    data.push({ id: 26, updated_at: '2024-01-02T06:00:00.000Z' });
    const second = await read(yaml, { base_url: server.url }, { now, state: [last] });
    expect(records(second.messages).map((r) => r.id)).toEqual([26]);
    expect(server.requests.at(-1)!.query.get('since')).toBe('2024-01-02T00:00:00.000Z');
    expect(states(second.messages).at(-1)!.stream.stream_state).toEqual({ cursor: '2024-01-02T06:00:00.000Z' });
  });

  it('a state from the future yields zero records, sends no request and keeps the state', async () => {
    server = await sinceApi(issues(5));
    const future: StreamState = { type: 'STREAM', stream: { stream_descriptor: { name: 'items' }, stream_state: { cursor: '2030-01-01T00:00:00Z' } } };
    const { messages } = await read(manifest(incrementalStream('{ lower_bound: { into: param, name: since } }')), { base_url: server.url }, { now, state: [future] });
    expect(records(messages)).toEqual([]);
    expect(server.requests).toHaveLength(0);
    expect(states(messages).at(-1)!.stream.stream_state).toEqual({ cursor: '2030-01-01T00:00:00Z' });
  });

  it('lookback re-reads before the saved cursor', async () => {
    server = await sinceApi(issues(25));
    const saved: StreamState = { type: 'STREAM', stream: { stream_descriptor: { name: 'items' }, stream_state: { cursor: '2024-01-02T00:00:00.000Z' } } };
    const { messages } = await read(manifest(incrementalStream('{ lookback: PT2H, lower_bound: { into: param, name: since } }')), { base_url: server.url }, { now, state: [saved] });
    expect(records(messages).map((r) => r.id)).toEqual([23, 24, 25]);
  });

  it('lookback on a numeric cursor fails the read at its start with a MANIFEST_SCHEMA error at the lookback key (never silently ignored)', async () => {
    server = await startServer(() => ({ body: issues(3) }));
    const yaml = manifest(`    cursor_field: id
    request: { path: /items }
    incremental: { lookback: PT1H }`);
    const saved: StreamState = { type: 'STREAM', stream: { stream_descriptor: { name: 'items' }, stream_state: { cursor: 2 } } };
    const { messages } = await read(yaml, { base_url: server.url }, { now, state: [saved] });
    expect(server.requests).toHaveLength(0);
    expect(records(messages)).toEqual([]);
    const [error] = errors(messages);
    expect(error).toMatchObject({ failure_type: 'config_error', internal_message: 'MANIFEST_SCHEMA' });
    expect(error!.message).toMatch(/^test\.yaml:\d+:\d+: incremental\.lookback "PT1H" applies to datetime cursors only, but the saved cursor of `id` is 2 \(a number\)/);
    expect(states(messages).at(-1)!.stream.stream_state).toEqual({ cursor: 2 }); // the state is kept
  });

  it('order: descending stops paging once a page holds a record older than the cursor', async () => {
    const data = issues(25).reverse();
    server = await startServer(({ query }) => {
      const page = Number(query.get('page') ?? 1);
      return { body: data.slice((page - 1) * 10, page * 10) };
    });
    const saved: StreamState = { type: 'STREAM', stream: { stream_descriptor: { name: 'items' }, stream_state: { cursor: issues(25)[14]!.updated_at } } };
    const { messages } = await read(manifest(incrementalStream('{ order: descending }')), { base_url: server.url }, { now, state: [saved] });
    expect(server.requests).toHaveLength(2);
    expect(records(messages).map((r) => r.id)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    expect(states(messages).at(-1)!.stream.stream_state).toEqual({ cursor: issues(25)[24]!.updated_at });
  });

  it('datetime windows: one request series per window with start/end injected, STATE after each', async () => {
    const data = issues(30);
    server = await startServer(({ query }) => {
      const from = query.get('from')!;
      const to = query.get('to')!;
      return { body: data.filter((r) => r.updated_at >= from && r.updated_at < to) };
    });
    const yaml = windowedManifest();
    const { messages } = await read(yaml, { base_url: server.url }, { now });
    expect(server.requests.map((r) => [r.query.get('from'), r.query.get('to')])).toEqual([
      ['2024-01-01T00:00:00.000Z', '2024-01-01T12:00:00.000Z'],
      ['2024-01-01T12:00:00.000Z', '2024-01-02T00:00:00.000Z'],
      ['2024-01-02T00:00:00.000Z', '2024-01-02T12:00:00.000Z'],
    ]);
    expect(records(messages)).toHaveLength(30);
    // A STATE follows each window's records and holds the highest cursor emitted so far.
    const kinds = messages.filter((m) => m.type === 'STATE' || m.type === 'RECORD').map((m) => m.type === 'STATE' ? `S:${String(m.state.stream.stream_state.cursor)}` : 'R');
    expect(kinds.filter((k) => k.startsWith('S')).slice(0, 3)).toEqual(['S:2024-01-01T11:00:00.000Z', 'S:2024-01-01T23:00:00.000Z', 'S:2024-01-02T05:00:00.000Z']);
    expect(kinds.indexOf('S:2024-01-01T11:00:00.000Z')).toBe(12);
  });
});

describe('read: checkpoints after a failure', () => {
  it('a window that fails keeps the state of the windows before it, never the failed one’s records', async () => {
    const data = issues(30);
    server = await startServer(({ query }) => {
      const from = query.get('from')!;
      if (from >= '2024-01-01T12:00:00.000Z') return { status: 400, body: { message: 'bad window' } };
      return { body: data.filter((r) => r.updated_at >= from && r.updated_at < query.get('to')!) };
    });
    const yaml = windowedManifest();
    const { messages } = await read(yaml, { base_url: server.url }, { now });
    expect(records(messages)).toHaveLength(12);
    expect(states(messages).at(-1)!.stream.stream_state).toEqual({ cursor: '2024-01-01T11:00:00.000Z' });
    expect(messages.at(-1)).toMatchObject({ type: 'TRACE', trace: { stream_status: { status: 'INCOMPLETE' } } });
  });

  it('a partition that fails on its second page does not move its cursor', async () => {
    server = await startServer(({ query }) => (query.get('page') === '2' ? { status: 400, body: { message: 'no' } } : { body: issues(10) }));
    const saved: StreamState = { type: 'STREAM', stream: { stream_descriptor: { name: 'items' }, stream_state: { cursor: '2023-06-01T00:00:00Z' } } };
    const { messages } = await read(manifest(incrementalStream('{}')), { base_url: server.url }, { now, state: [saved] });
    expect(records(messages)).toHaveLength(10);
    expect(states(messages).map((s) => s.stream.stream_state)).toEqual([{ cursor: '2023-06-01T00:00:00Z' }]);
  });
});

describe('read: substreams and partitions', () => {
  const yaml = `name: test
version: 1.0.0
spec: { type: object }
requester: { url_base: "{{ config.base_url }}" }
concurrency: 2
streams:
  pulls:
    primary_key: [repo, number]
    cursor_field: updated_at
    schema: { type: object }
    partitions: { list: "{{ config.repos }}", as: repo }
    request: { path: "/repos/{{ partition.repo }}/pulls" }
    incremental: { max_partitions_in_state: 2 }
    map: '{ "repo": $partition.repo, "number": number, "updated_at": updated_at }'
  reviews:
    primary_key: id
    schema: { type: object }
    partitions: { parent: pulls, as: pull, value: "{ 'repo': repo, 'number': number }" }
    request: { path: "/repos/{{ partition.pull.repo }}/pulls/{{ partition.pull.number }}/reviews" }
    map: '{ "id": id, "pull": $partition.pull.number, "repo": $partition.pull.repo }'
`;
  const handler = (path: string) => {
    const pulls = /^\/repos\/(\w+)\/pulls$/.exec(path);
    if (pulls) {
      const repo = pulls[1]!;
      const day = { a: '01', b: '03', c: '02' }[repo] ?? '09';
      return { body: [1, 2].map((number) => ({ number, updated_at: `2024-01-${day}T0${number}:00:00Z` })), delayMs: repo === 'a' ? 30 : 0 };
    }
    const reviews = /^\/repos\/(\w+)\/pulls\/(\d+)\/reviews$/.exec(path);
    if (reviews) return { body: [{ id: `${reviews[1]}-${reviews[2]}-1` }, { id: `${reviews[1]}-${reviews[2]}-2` }] };
    return { status: 404, body: { message: 'Not Found' } };
  };

  it('reads list partitions concurrently, keeps per-partition cursors bounded, and feeds child streams from parent records', async () => {
    server = await startServer(({ path }) => handler(path));
    const { messages } = await read(yaml, { base_url: server.url, repos: ['a', 'b', 'c'] }, { now });
    const pulls = records(messages, 'pulls');
    expect(pulls).toHaveLength(6);
    for (const repo of ['a', 'b', 'c']) expect(pulls.filter((r) => r.repo === repo).map((r) => r.number)).toEqual([1, 2]);
    const final = states(messages).filter((s) => s.stream.stream_descriptor.name === 'pulls').at(-1)!.stream.stream_state;
    // Three partitions, at most two kept: the oldest (a) falls back to the stream-wide minimum.
    expect(final).toEqual({
      partitions: { '{"repo":"b"}': { cursor: '2024-01-03T02:00:00Z' }, '{"repo":"c"}': { cursor: '2024-01-02T02:00:00Z' } },
      cursor: '2024-01-01T02:00:00Z',
      evicted: true,
    });
    const reviews = records(messages, 'reviews');
    expect(reviews).toHaveLength(12);
    expect(reviews).toContainEqual({ id: 'b-2-1', pull: 2, repo: 'b' });
  });

  it('past max_partitions_in_state, new partitions still start from `start` and evicted ones from the floor, inclusive', async () => {
    server = await startServer(({ path }) => ({ body: [{ id: path, updated_at: '2024-01-01T00:00:00Z' }] }));
    const yaml = manifest(`    cursor_field: updated_at
    partitions: { list: "{{ config.repos }}", as: repo }
    request: { path: "/r/{{ partition.repo }}" }
    incremental: { max_partitions_in_state: 3 }`);
    const repos = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const first = await read(yaml, { base_url: server.url, repos }, { now });
    expect(records(first.messages)).toHaveLength(10);
    const state = states(first.messages).at(-1)!;
    expect(Object.keys(state.stream.stream_state.partitions as object)).toHaveLength(3);
    // Next read: the 3 kept partitions saw their record already; the 7 dropped ones re-read from the floor.
    const second = await read(yaml, { base_url: server.url, repos }, { now, state: [state] });
    expect(records(second.messages)).toHaveLength(7);
  });
});
