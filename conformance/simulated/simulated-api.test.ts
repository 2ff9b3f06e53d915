import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformance } from '../suite.js';
import { invertMap } from './invert-map.js';

const dir = mkdtempSync(join(tmpdir(), 'gwi-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A one-stream manifest whose stream block is `stream` (YAML, indented under `items:`). */
function manifest(name: string, stream: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
version: 1.0.0
spec: { type: object, properties: { token: { type: string, secret: true } }, required: [token] }
auth: { type: bearer, token: "{{ config.token }}" }
requester: { url_base: "https://sim.example.com", retry: { attempts: 4, base_ms: 1, max_ms: 5 } }
streams:
  items:
    primary_key: id
    cursor_field: updated_at
    schema: { type: object, required: [id, updated_at], properties: { id: { type: integer }, updated_at: { type: string, format: date-time }, name: { type: string } } }
${stream}
`,
  );
  return file;
}

const cases: Array<{ name: string; stream: string }> = [
  { name: 'none', stream: '    request: { path: /items }' },
  { name: 'link-header', stream: '    request: { path: /items }\n    pagination: { type: link_header, page_size: 3 }' },
  { name: 'cursor-body', stream: '    request: { path: /items }\n    records: data\n    pagination: { type: cursor, token: response.next_cursor, inject: { into: param, name: cursor } }' },
  { name: 'cursor-header', stream: '    request: { path: /items }\n    pagination: { type: cursor, token: "headers.`x-next-token`", inject: { into: header, name: X-Page-Token } }' },
  { name: 'has-more', stream: '    request: { path: /items }\n    records: results\n    pagination: { type: cursor, token: response.cursor, has_more: response.has_more, inject: { into: param, name: after } }' },
  { name: 'offset', stream: '    request: { path: /items }\n    records: data.rows\n    pagination: { type: offset, limit: 4, offset_param: { into: param, name: offset }, limit_param: { into: param, name: limit } }' },
  { name: 'page-number', stream: '    request: { path: /items }\n    pagination: { type: page_number, start: 0, size: 3, page_param: { into: param, name: p }, size_param: { into: param, name: n } }' },
  { name: 'next-url', stream: '    request: { path: /items }\n    records: values\n    pagination: { type: next_url, url: response.links.next }' },
  {
    name: 'graphql-relay',
    stream:
      '    request: { path: /graphql, graphql: { query: "query($after: String) { repo { items(first: 3, after: $after) { nodes { id updatedAt name } pageInfo { hasNextPage endCursor } } } }" } }\n' +
      '    records: data.repo.items.nodes\n' +
      '    pagination: { type: graphql_relay, page_info: response.data.repo.items.pageInfo, page_size: 3 }\n' +
      '    map: \'{ "id": id, "updated_at": updatedAt, "name": name }\'',
  },
  {
    name: 'windows-lookback',
    stream:
      '    request: { path: /items }\n    pagination: { type: page_number, size: 4, page_param: { into: param, name: page } }\n' +
      '    incremental: { order: ascending, start: "2023-12-01T00:00:00Z", lookback: PT2H, windows: { step: P90D, start_param: { into: param, name: from }, end_param: { into: param, name: to } } }',
  },
  {
    name: 'incremental-descending',
    stream: '    request: { path: /items }\n    pagination: { type: link_header, page_size: 3 }\n    incremental: { order: descending, lower_bound: { into: param, name: since } }',
  },
];

describe('the simulated API serves each pagination kind the way the manifest declares it', () => {
  for (const { name, stream } of cases) {
    it(`${name}: every read and incremental check passes against the real engine`, async () => {
      const report = await runConformance({ manifest: manifest(name, stream), groups: ['read', 'incremental'] });
      expect(report.results.filter((r) => r.status !== 'pass')).toEqual([]);
      expect(report.results.find((r) => r.name === 'read.pagination[items]')?.reason).toMatch(name === 'none' ? /1 pages/ : /[2-9] pages|\d{2} pages/);
    });
  }

  it('skips, with the reason, a stream whose map it cannot invert', async () => {
    const file = manifest('computed', '    request: { path: /items }\n    map: \'{ "id": $substring(ident, 1), "updated_at": updated_at }\'');
    const report = await runConformance({ manifest: file, groups: ['read'] });
    expect(report.results.find((r) => r.name === 'read.completes[items]')).toMatchObject({ status: 'skip', reason: expect.stringContaining('a call to $substring') });
  });
});

describe('invertMap', () => {
  it('inverts an object constructor of paths, nested objects and mapped arrays', () => {
    const invert = invertMap('{ "id": id, "author": user.login, "repo": $partition.repo, "labels": [labels.name], "meta": { "kind": type } }');
    if ('skip' in invert) throw new Error(invert.skip);
    expect(invert({ id: 1, author: 'ann', repo: 'x/y', labels: ['bug', 'ui'], meta: { kind: 'issue' } })).toEqual({
      id: 1,
      user: { login: 'ann' },
      labels: [{ name: 'bug' }, { name: 'ui' }],
      type: 'issue',
    });
  });

  it('sees through pass-through functions and `$exists(p) ? p : …`', () => {
    const invert = invertMap('{ "n": $number(num), "s": $lowercase(state), "sha": $exists(sha) ? sha : $split(url, "/")[-1] }');
    if ('skip' in invert) throw new Error(invert.skip);
    expect(invert({ n: 5, s: 'open', sha: 'abc' })).toEqual({ num: 5, state: 'open', sha: 'abc' });
  });

  it('names the field it cannot invert', () => {
    expect(invertMap('{ "open": state = "open" }')).toEqual({ skip: expect.stringContaining('"open"') });
    expect(invertMap('$merge([$, { "x": 1 }])')).toEqual({ skip: expect.stringContaining('not an object constructor') });
  });
});
