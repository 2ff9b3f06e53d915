import { afterEach, describe, expect, it } from 'vitest';
import type { ConfiguredCatalog } from '../../runtime/protocol/messages.js';
import { errors, read, records, startServer, statuses, type SeenRequest, type TestServer } from './support.js';

let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

/**
 * Substreams share their parent within one read: `repos` (2 pages) is the parent of `pulls`,
 * `issues` and `branches` (two different `value`s); `pulls` (incremental) is the parent of `reviews`.
 */
const yaml = `name: substreams
version: 1.0.0
spec: { type: object, properties: { base_url: { type: string } } }
requester: { url_base: "{{ config.base_url }}", retry: { attempts: 1 } }
streams:
  repos:
    schema: { type: object }
    primary_key: full_name
    request: { path: /repos }
    pagination: { type: page_number, page_param: { into: param, name: page }, start: 1 }
  pulls:
    schema: { type: object }
    primary_key: [repo, number]
    cursor_field: updated_at
    incremental: {}
    partitions: { parent: repos, as: repo, value: full_name }
    request: { path: "/repos/{{ partition.repo }}/pulls" }
    map: '{ "repo": $partition.repo, "number": number, "updated_at": updated_at }'
  issues:
    schema: { type: object }
    primary_key: [repo, number]
    partitions: { parent: repos, as: repo, value: full_name }
    request: { path: "/repos/{{ partition.repo }}/issues" }
    map: '{ "repo": $partition.repo, "number": number }'
  branches:
    schema: { type: object }
    primary_key: [repo, ref]
    partitions: { parent: repos, as: branch, value: "{ 'repo': full_name, 'ref': default_branch }" }
    request: { path: "/repos/{{ partition.branch.repo }}/branches/{{ partition.branch.ref }}" }
    map: '{ "repo": $partition.branch.repo, "ref": $partition.branch.ref, "sha": sha }'
  reviews:
    schema: { type: object }
    primary_key: id
    partitions: { parent: pulls, as: pull, value: "{ 'repo': repo, 'number': number }", incremental_parent: true }
    request: { path: "/repos/{{ partition.pull.repo }}/pulls/{{ partition.pull.number }}/reviews" }
    map: '{ "id": id, "repo": $partition.pull.repo, "pull": $partition.pull.number }'
`;

const REPOS = [['a/one', 'a/two'], ['b/three']];

function handler({ path, query }: SeenRequest) {
  if (path === '/repos') return { body: REPOS[Number(query.get('page')) - 1]?.map((full_name) => ({ full_name, default_branch: 'main' })) ?? [] };
  let m = /^\/repos\/(\w+\/\w+)\/pulls$/.exec(path);
  if (m) return { body: [1, 2].map((number) => ({ number, updated_at: `2024-01-0${number}T00:00:00Z` })) };
  m = /^\/repos\/(\w+\/\w+)\/issues$/.exec(path);
  if (m) return { body: [{ number: 7 }] };
  m = /^\/repos\/(\w+\/\w+)\/branches\/main$/.exec(path);
  if (m) return { body: { sha: `sha-${m[1]}` } };
  m = /^\/repos\/(\w+\/\w+)\/pulls\/(\d+)\/reviews$/.exec(path);
  if (m) return { body: [{ id: `${m[1]}#${m[2]}` }] };
  return { status: 404, body: { message: `no ${path}` } };
}

const catalog = (...names: string[]): ConfiguredCatalog => ({
  streams: names.map((name) => ({
    stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
    sync_mode: name === 'pulls' ? 'incremental' : 'full_refresh',
    destination_sync_mode: 'append',
  })),
} as ConfiguredCatalog);

const count = (requests: SeenRequest[], pattern: RegExp) => requests.filter((r) => pattern.test(r.path)).length;
const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();

describe('read: substreams share their parent within one read', () => {
  it('the parent is requested once per read however many child streams use it (and its own stream feeds them)', async () => {
    server = await startServer(handler);
    const { messages } = await read(yaml, { base_url: server.url });
    expect(errors(messages)).toEqual([]);
    // 2 pages + the empty page that ends paging = 3 requests to /repos, from the `repos` stream alone.
    expect(count(server.requests, /^\/repos$/)).toBe(3);
    // `pulls` (incremental) is read once: `reviews` (incremental_parent) replays its values.
    expect(count(server.requests, /\/pulls$/)).toBe(3);
    expect(records(messages, 'repos')).toHaveLength(3);
    expect(records(messages, 'pulls')).toHaveLength(6);
    expect(records(messages, 'issues')).toHaveLength(3);
    expect(sorted(records(messages, 'branches'))).toEqual(sorted(['a/one', 'a/two', 'b/three'].map((repo) => ({ repo, ref: 'main', sha: `sha-${repo}` }))));
    expect(records(messages, 'reviews')).toHaveLength(6);

    // A second read reads the parent again (the cache lives for one read), once.
    const before = server.requests.length;
    await read(yaml, { base_url: server.url });
    expect(count(server.requests.slice(before), /^\/repos$/)).toBe(3);
  });

  it('without the parent in the catalog, the first child reads it and the others replay it', async () => {
    server = await startServer(handler);
    const { messages } = await read(yaml, { base_url: server.url }, { catalog: catalog('issues', 'branches', 'pulls', 'reviews') });
    expect(errors(messages)).toEqual([]);
    expect(count(server.requests, /^\/repos$/)).toBe(3);
    expect(count(server.requests, /\/pulls$/)).toBe(3);
    expect(records(messages, 'reviews')).toHaveLength(6);
  });

  it('past the cache cap it falls back to re-reading the parent, with the same records', async () => {
    server = await startServer(handler);
    const shared = await read(yaml, { base_url: server.url });
    const before = server.requests.length;
    const capped = await read(yaml, { base_url: server.url }, { parentCache: { maxEntries: 2 } });
    const requests = server.requests.slice(before);
    expect(errors(capped.messages)).toEqual([]);
    // Three repositories do not fit in 2 entries: repos, pulls, issues, branches and reviews (through
    // pulls, whose six values do not fit either) each read /repos.
    expect(count(requests, /^\/repos$/)).toBe(5 * 3);
    expect(count(requests, /\/pulls$/)).toBe(2 * 3);
    for (const stream of ['repos', 'pulls', 'issues', 'branches', 'reviews']) expect(sorted(records(capped.messages, stream))).toEqual(sorted(records(shared.messages, stream)));
  });

  it('a byte budget caps the cache too', async () => {
    server = await startServer(handler);
    await read(yaml, { base_url: server.url }, { catalog: catalog('issues', 'branches'), parentCache: { maxBytes: 10 } });
    expect(count(server.requests, /^\/repos$/)).toBe(2 * 3);
  });

  it('a parent stream that fails part-way is not replayed: the next child reads the parent afresh', async () => {
    let failed = false;
    server = await startServer((request) => {
      if (request.path === '/repos' && request.query.get('page') === '2' && !failed) {
        failed = true;
        return { status: 400, body: { message: 'try again' } };
      }
      return handler(request);
    });
    const { messages } = await read(yaml, { base_url: server.url }, { catalog: catalog('repos', 'issues', 'branches') });
    expect(statuses(messages)).toEqual(['repos:STARTED', 'repos:RUNNING', 'repos:INCOMPLETE', 'issues:STARTED', 'issues:RUNNING', 'issues:COMPLETE', 'branches:STARTED', 'branches:RUNNING', 'branches:COMPLETE']);
    // repos: page 1, page 2 (fails); issues: pages 1-3, also recording branches' values.
    expect(count(server.requests, /^\/repos$/)).toBe(2 + 3);
    expect(records(messages, 'issues')).toHaveLength(3);
    expect(records(messages, 'branches')).toHaveLength(3);
  });
});
