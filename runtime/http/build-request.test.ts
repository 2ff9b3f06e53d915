import { describe, expect, it } from 'vitest';
import { buildRequest } from './build-request.js';
import type { RequestNode, RequesterNode } from './schema.js';

const requester = (extra: Partial<RequesterNode> = {}): RequesterNode => ({ url_base: '{{ config.base_url }}', timeout_ms: 1000, ...extra });
const scope = { config: { base_url: 'https://api.example.com/v4/', per_page: 50, token: 's3cret' }, partition: { repo: 'acme/app' }, page: undefined };

describe('buildRequest', () => {
  it('joins url_base and path, renders params and headers, drops empty values', async () => {
    const request: RequestNode = {
      method: 'GET',
      path: '/repos/{{ partition.repo }}/pulls',
      params: { per_page: '{{ config.per_page }}', page: '{{ page }}', state: 'all', draft: false, limit: 10 },
      headers: { 'X-Repo': '{{ partition.repo }}', 'X-Drop': '{{ null }}' },
    };
    const prepared = await buildRequest(requester({ params: { api: 'v1', state: 'open' }, headers: { Accept: 'application/json' } }), request, scope);
    expect(prepared.url).toBe('https://api.example.com/v4/repos/acme/app/pulls');
    expect(prepared.params).toEqual({ api: 'v1', state: 'all', per_page: '50', draft: 'false', limit: '10' });
    expect(prepared.headers).toEqual({ Accept: 'application/json', 'X-Repo': 'acme/app' });
    expect(prepared.method).toBe('GET');
  });

  it('a request-level empty value removes a requester-level key', async () => {
    const prepared = await buildRequest(requester({ params: { since: '2020' } }), { method: 'GET', path: '/x', params: { since: '' } }, scope);
    expect(prepared.params).toEqual({});
  });

  it('a path that is a full URL wins; with an override, the base at its front is replaced', async () => {
    const next = { method: 'GET' as const, path: '{{ page }}' };
    const nextScope = { ...scope, page: 'https://api.example.com/v4/repos?page=2' };
    expect((await buildRequest(requester(), next, nextScope)).url).toBe('https://api.example.com/v4/repos?page=2');
    expect((await buildRequest(requester(), next, nextScope, 'http://127.0.0.1:9')).url).toBe('http://127.0.0.1:9/repos?page=2');
    expect((await buildRequest(requester(), { method: 'GET', path: '/a' }, scope, 'http://127.0.0.1:9/')).url).toBe('http://127.0.0.1:9/a');
  });

  it('renders a JSON body deeply and keeps value types', async () => {
    const body = { n: '{{ config.per_page }}', list: ['{{ partition.repo }}', 1, true], nested: { s: 'repo: {{ partition.repo }}', keep: null } };
    const prepared = await buildRequest(requester(), { method: 'POST', path: '/search', body }, scope);
    expect(prepared.body).toEqual({ n: 50, list: ['acme/app', 1, true], nested: { s: 'repo: acme/app', keep: null } });
  });

  it('builds a GraphQL POST: query untouched, variables rendered', async () => {
    const query = 'query($n: Int!, $after: String) { viewer { login } }';
    const prepared = await buildRequest(
      requester(),
      { method: 'GET', path: '/graphql', graphql: { query, variables: { n: '{{ config.per_page }}', after: '{{ page }}' }, operation_name: 'Q' } },
      scope,
    );
    expect(prepared.method).toBe('POST');
    expect(prepared.graphql).toBe(true);
    expect(prepared.body).toEqual({ query, variables: { n: 50 }, operationName: 'Q' });
  });
});
