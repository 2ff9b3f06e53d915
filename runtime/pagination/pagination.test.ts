import { describe, expect, it } from 'vitest';
import type { HttpResponse, PreparedRequest } from '../http/types.js';
import { applyPatch, createPaginator, findLink } from './index.js';
import type { PaginationNode } from './schema.js';

const request: PreparedRequest = { method: 'GET', url: 'http://api.test/items', params: { a: '1' }, headers: {} };
const response = (body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status: 200, headers, body, url: request.url, ignored: false });
const where = { stream: 'items', partition: '{"repo":"a/b"}' };

describe('createPaginator', () => {
  it('link_header follows rel=next and replaces the query', async () => {
    const p = createPaginator({ type: 'link_header', rel: 'next', stop_on_empty_page: true }, where);
    const patch = await p.next({ request, response: response([1], { link: '<http://api.test/items?page=2>; rel="next", <http://api.test/items?page=9>; rel="last"' }), recordCount: 1 });
    expect(applyPatch(request, patch)).toMatchObject({ url: 'http://api.test/items?page=2', params: {} });
    expect(await p.next({ request, response: response([1], { link: '<http://api.test/items?page=1>; rel="prev"' }), recordCount: 1 })).toBeNull();
  });

  it('findLink reads multi-valued rel', () => {
    expect(findLink('<https://x/2>; rel="next last"', 'next')).toBe('https://x/2');
    expect(findLink(undefined, 'next')).toBeUndefined();
  });

  it('cursor injects into a param and detects a loop, naming stream, partition and token', async () => {
    const node: PaginationNode = { type: 'cursor', token: 'response.next', inject: { into: 'param', name: 'after' }, stop_on_empty_page: true };
    const p = createPaginator(node, where);
    const patch = await p.next({ request, response: response({ next: 'abc' }), recordCount: 3 });
    expect(applyPatch(request, patch).params).toEqual({ a: '1', after: 'abc' });
    await expect(p.next({ request, response: response({ next: 'abc' }), recordCount: 3 })).rejects.toMatchObject({
      code: 'PAGINATION_LOOP',
      message: expect.stringMatching(/items.*repo.*abc/),
    });
  });

  it('cursor injects into a GraphQL variable', async () => {
    const p = createPaginator({ type: 'cursor', token: 'response.next', inject: { into: 'variable', name: 'after' }, stop_on_empty_page: true }, where);
    const base = { ...request, method: 'POST' as const, body: { query: 'q', variables: { n: 1 } } };
    const patch = await p.next({ request: base, response: response({ next: 'c1' }), recordCount: 1 });
    expect(applyPatch(base, patch).body).toEqual({ query: 'q', variables: { n: 1, after: 'c1' } });
  });

  it('offset injects offset and limit and stops on a short page', async () => {
    const p = createPaginator({ type: 'offset', limit: 2, start: 0, offset_param: { into: 'param', name: 'offset' }, limit_param: { into: 'param', name: 'limit' }, stop_on_empty_page: true }, where);
    expect(applyPatch(request, p.first()).params).toEqual({ a: '1', offset: '0', limit: '2' });
    expect(applyPatch(request, await p.next({ request, response: response([1, 2]), recordCount: 2 })).params.offset).toBe('2');
    expect(await p.next({ request, response: response([1]), recordCount: 1 })).toBeNull();
  });

  it('page_number counts from start and stops on an empty page', async () => {
    const p = createPaginator({ type: 'page_number', start: 1, page_param: { into: 'body', name: 'page' }, stop_on_empty_page: true }, where);
    expect(applyPatch(request, p.first()).body).toEqual({ page: 1 });
    expect(applyPatch(request, await p.next({ request, response: response([1]), recordCount: 1 })).body).toEqual({ page: 2 });
    expect(await p.next({ request, response: response([]), recordCount: 0 })).toBeNull();
  });

  it('next_url resolves relative URLs and has_more false stops', async () => {
    const p = createPaginator({ type: 'next_url', url: 'response.next', has_more: 'response.more', stop_on_empty_page: true }, where);
    expect(applyPatch(request, await p.next({ request, response: response({ next: '/items?p=2', more: true }), recordCount: 1 })).url).toBe('http://api.test/items?p=2');
    expect(await p.next({ request, response: response({ next: '/items?p=3', more: false }), recordCount: 1 })).toBeNull();
  });

  it('graphql_relay reads pageInfo', async () => {
    const p = createPaginator({ type: 'graphql_relay', page_info: 'response.data.items.pageInfo', cursor_variable: 'after', stop_on_empty_page: true }, where);
    const body = (hasNextPage: boolean, endCursor: string) => ({ data: { items: { pageInfo: { hasNextPage, endCursor } } } });
    const base = { ...request, body: { query: 'q' } };
    expect(applyPatch(base, await p.next({ request: base, response: response(body(true, 'X')), recordCount: 1 })).body).toEqual({ query: 'q', variables: { after: 'X' } });
    expect(await p.next({ request: base, response: response(body(false, 'Y')), recordCount: 1 })).toBeNull();
  });

  it('max_pages is an error when more pages remain', async () => {
    const p = createPaginator({ type: 'page_number', start: 1, page_param: { into: 'param', name: 'page' }, max_pages: 2, stop_on_empty_page: true }, where);
    await p.next({ request, response: response([1]), recordCount: 1 });
    await expect(p.next({ request, response: response([1]), recordCount: 1 })).rejects.toMatchObject({ code: 'PAGINATION_MAX_PAGES' });
  });

  it('an ignored response ends paging', async () => {
    const p = createPaginator({ type: 'cursor', token: 'response.next', inject: { into: 'param', name: 'c' }, stop_on_empty_page: false }, where);
    expect(await p.next({ request, response: { ...response({ next: 'x' }), ignored: true }, recordCount: 0 })).toBeNull();
  });
});
