import { afterEach, describe, expect, it } from 'vitest';
import { errors, issues, manifest, read, records, startServer, statuses, type TestServer } from './support.js';

const data = issues(25);
let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const slice = (from: number, size: number) => data.slice(from, from + size);

describe('read: every pagination kind against a local server', () => {
  it('link_header', async () => {
    server = await startServer(({ query }, url) => {
      const page = Number(query.get('page') ?? 1);
      const items = slice((page - 1) * 10, 10);
      const next: Record<string, string> = page * 10 < data.length ? { link: `<${url}/items?page=${page + 1}&per_page=10>; rel="next"` } : {};
      return { body: items, headers: next };
    });
    const { messages } = await read(manifest(`    request: { path: /items, params: { per_page: 10 } }
    pagination: { type: link_header }`), { base_url: server.url });
    expect(records(messages).map((r) => r.id)).toEqual(data.map((r) => r.id));
    expect(server.requests.map((r) => r.query.get('page'))).toEqual([null, '2', '3']);
    expect(statuses(messages)).toEqual(['items:STARTED', 'items:RUNNING', 'items:COMPLETE']);
  });

  it('cursor in the body, injected into a header', async () => {
    server = await startServer(({ headers }) => {
      const at = Number(headers['x-cursor'] ?? 0);
      return { body: { items: slice(at, 10), next: at + 10 < data.length ? String(at + 10) : null } };
    });
    const { messages } = await read(manifest(`    request: { path: /items }
    records: items
    pagination: { type: cursor, token: response.next, inject: { into: header, name: X-Cursor } }`), { base_url: server.url });
    expect(records(messages)).toHaveLength(25);
    expect(server.requests).toHaveLength(3);
  });

  it('offset with limit stops on the short page', async () => {
    server = await startServer(({ query }) => ({ body: slice(Number(query.get('offset')), Number(query.get('limit'))) }));
    const { messages } = await read(manifest(`    request: { path: /items }
    pagination: { type: offset, limit: 10, offset_param: { into: param, name: offset }, limit_param: { into: param, name: limit } }`), { base_url: server.url });
    expect(records(messages)).toHaveLength(25);
    expect(server.requests.map((r) => r.query.get('offset'))).toEqual(['0', '10', '20']);
  });

  it('page_number stops on the empty page when no size is given', async () => {
    server = await startServer(({ query }) => ({ body: slice((Number(query.get('page')) - 1) * 10, 10) }));
    const { messages } = await read(manifest(`    request: { path: /items }
    pagination: { type: page_number, page_param: { into: param, name: page } }`), { base_url: server.url });
    expect(records(messages)).toHaveLength(25);
    expect(server.requests.map((r) => r.query.get('page'))).toEqual(['1', '2', '3', '4']);
  });

  it('next_url from the body', async () => {
    server = await startServer(({ query }, url) => {
      const at = Number(query.get('at') ?? 0);
      return { body: { results: slice(at, 10), next: at + 10 < data.length ? `${url}/items?at=${at + 10}` : null } };
    });
    const { messages } = await read(manifest(`    request: { path: /items }
    records: results
    pagination: { type: next_url, url: response.next }`), { base_url: server.url });
    expect(records(messages)).toHaveLength(25);
  });

  it('graphql_relay sends endCursor as a variable', async () => {
    server = await startServer(({ body }) => {
      const vars = (body as { variables: { after?: string; first: number } }).variables;
      const at = Number(vars.after ?? 0);
      const nodes = slice(at, vars.first);
      return { body: { data: { items: { nodes, pageInfo: { hasNextPage: at + vars.first < data.length, endCursor: String(at + vars.first) } } } } };
    });
    const { messages } = await read(manifest(`    request:
      path: /graphql
      graphql:
        query: "query($first: Int!, $after: String) { items(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }"
        variables: { first: 10 }
    records: data.items.nodes
    pagination: { type: graphql_relay, page_info: response.data.items.pageInfo }`), { base_url: server.url });
    expect(records(messages)).toHaveLength(25);
    expect(server.requests.map((r) => (r.body as { variables: Record<string, unknown> }).variables)).toEqual([{ first: 10 }, { first: 10, after: '10' }, { first: 10, after: '20' }]);
  });

  it('a repeated token is a PAGINATION_LOOP error naming the stream and the token', async () => {
    server = await startServer(() => ({ body: { items: slice(0, 2), next: 'same-token' } }));
    const { messages } = await read(manifest(`    request: { path: /items }
    records: items
    pagination: { type: cursor, token: response.next, inject: { into: param, name: after } }`), { base_url: server.url });
    expect(server.requests).toHaveLength(2);
    expect(errors(messages)).toEqual([expect.objectContaining({ internal_message: 'PAGINATION_LOOP', failure_type: 'system_error', message: expect.stringMatching(/items.*same-token/) })]);
    expect(statuses(messages).at(-1)).toBe('items:INCOMPLETE');
  });

  it('max_pages is an error when more pages remain', async () => {
    server = await startServer(({ query }) => ({ body: slice((Number(query.get('page')) - 1) * 5, 5) }));
    const { messages } = await read(manifest(`    request: { path: /items }
    pagination: { type: page_number, page_param: { into: param, name: page }, size: 5, max_pages: 2 }`), { base_url: server.url });
    expect(records(messages)).toHaveLength(10);
    expect(errors(messages)[0]).toMatchObject({ internal_message: 'PAGINATION_MAX_PAGES' });
  });
});

describe('read with a url_base override', () => {
  it('next-page links that name the real host are sent to the override', async () => {
    server = await startServer(({ query }) => {
      const page = Number(query.get('page') ?? 1);
      const link: Record<string, string> = page < 3 ? { link: `<https://api.example.invalid/v3/items?page=${page + 1}>; rel="next"` } : {};
      return { body: slice((page - 1) * 2, 2), headers: link };
    });
    const yaml = manifest(`    request: { path: /items }
    pagination: { type: link_header }`).replace('url_base: "{{ config.base_url }}"', 'url_base: "https://api.example.invalid/v3"');
    const { messages } = await read(yaml, {}, { urlBaseOverride: server.url });
    expect(errors(messages)).toEqual([]);
    expect(records(messages)).toHaveLength(6);
    expect(server.requests.map((r) => `${r.path}?${r.query.toString()}`)).toEqual(['/items?', '/items?page=2', '/items?page=3']);
  });
});
