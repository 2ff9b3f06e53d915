import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchOperation } from '../../github/openapi-match.js';
import { openApi } from './examples.js';
import { startFakeGitHub, type FakeGitHub } from './index.js';

/**
 * The fake GitHub answers in GitHub's documented shapes: every list endpoint the connector uses is
 * validated against the 200 response schema of its operation in the OpenAPI description, and the
 * protocol details (link header, since, sort, faults) behave as documented.
 */

let gh: FakeGitHub;
const auth = { authorization: 'Bearer test-token' };

beforeAll(async () => {
  gh = await startFakeGitHub({
    repos: [{ full_name: 'octo-org/hello-world', pulls: 7, issues: 5, commits: 4 }],
    orgs: { 'octo-org': ['octo-org/hello-world'] },
  });
});
afterAll(async () => {
  await gh.close();
});

async function get(path: string, headers: Record<string, string> = auth) {
  const response = await fetch(gh.url + path, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

/** OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a `null` alternative; refs point into one document. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = `openapi${value}`;
    else if (key !== 'nullable' && key !== 'discriminator' && key !== 'example' && key !== 'examples') out[key] = toJsonSchema(value);
  }
  if ((node as { nullable?: boolean }).nullable) return { anyOf: [out, { type: 'null' }] };
  return out;
}

let ajv: Ajv;
function responseValidator(path: string): ValidateFunction {
  const operation = matchOperation('GET', path);
  if (!operation) throw new Error(`no operation for ${path}`);
  const ok = (openApi().paths[operation.template]?.get as { responses: Record<string, { content: Record<string, { schema: unknown }> }> }).responses['200'];
  return ajv.compile(toJsonSchema(ok?.content['application/json']?.schema) as object);
}

describe('startFakeGitHub: responses in the shapes of the OpenAPI description', () => {
  beforeAll(() => {
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    (addFormats as unknown as { default: (a: Ajv) => void }).default(ajv);
    ajv.addSchema({ components: toJsonSchema(openApi().components) }, 'openapi');
  });

  const paths = [
    '/user',
    '/repos/octo-org/hello-world',
    '/orgs/octo-org/repos',
    '/repos/octo-org/hello-world/pulls?state=all',
    '/repos/octo-org/hello-world/issues?state=all',
    '/repos/octo-org/hello-world/issues/comments',
    '/repos/octo-org/hello-world/pulls/1/reviews',
    '/repos/octo-org/hello-world/pulls/comments',
    '/repos/octo-org/hello-world/commits',
    '/repos/octo-org/hello-world/actions/runs',
    '/repos/octo-org/hello-world/commits/main/check-runs',
    '/repos/octo-org/hello-world/commits/main/statuses',
    '/rate_limit',
  ];
  for (const path of paths) {
    it(`GET ${path} conforms to the documented 200 response`, async () => {
      const { status, body } = await get(path);
      expect(status).toBe(200);
      const validate = responseValidator(path.split('?')[0] ?? path);
      const ok = validate(body);
      expect(ok ? [] : (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
    });
  }
});

describe('startFakeGitHub: protocol', () => {
  it('pages with Link headers (per_page capped at 100) and reports rate-limit headers', async () => {
    const first = await get('/repos/octo-org/hello-world/pulls?state=all&per_page=3');
    expect((first.body as unknown[]).length).toBe(3);
    expect(first.headers.get('link')).toMatch(/page=2>; rel="next"/);
    expect(first.headers.get('link')).toMatch(/page=3>; rel="last"/);
    expect(first.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    const last = await get('/repos/octo-org/hello-world/pulls?state=all&per_page=3&page=3');
    expect((last.body as unknown[]).length).toBe(1);
    expect(last.headers.get('link')).not.toMatch(/rel="next"/);
  });

  it('filters on since and orders by sort/direction', async () => {
    const all = (await get('/repos/octo-org/hello-world/issues?state=all&sort=updated&direction=asc&per_page=100')).body as Array<{ updated_at: string }>;
    expect(all.map((i) => i.updated_at)).toEqual([...all.map((i) => i.updated_at)].sort());
    const bound = all[5]!.updated_at;
    const since = (await get(`/repos/octo-org/hello-world/issues?state=all&since=${bound}`)).body as Array<{ updated_at: string }>;
    expect(since.every((i) => i.updated_at >= bound)).toBe(true);
    expect(since).toHaveLength(all.filter((i) => i.updated_at >= bound).length);
    expect(since.length).toBeLessThan(all.length);
  });

  it('answers 401 without a good token and 404 for an unknown repository', async () => {
    expect((await get('/user', { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await get('/repos/octo-org/missing/pulls')).status).toBe(404);
  });

  it('injects primary and secondary rate limits, then recovers', async () => {
    gh.setFault({ kind: 'primary_rate_limit', times: 1, seconds: 60 });
    const primary = await get('/user');
    expect(primary.status).toBe(403);
    expect(primary.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(primary.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect((await get('/user')).status).toBe(200);
    gh.setFault({ kind: 'secondary_rate_limit', times: 1, seconds: 7 });
    const secondary = await get('/user');
    expect(secondary.status).toBe(403);
    expect(secondary.headers.get('retry-after')).toBe('7');
    gh.setFault(undefined);
  });

  it('answers GraphQL by executing against GitHub’s schema, and rejects an invalid query', async () => {
    const query = 'query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { pullRequests(first: 5) { pageInfo { hasNextPage endCursor } nodes { number } } } rateLimit { cost remaining resetAt } }';
    const response = await fetch(`${gh.url}/graphql`, { method: 'POST', headers: auth, body: JSON.stringify({ query, variables: { owner: 'octo-org', name: 'hello-world' } }) });
    const body = (await response.json()) as { data: { repository: { pullRequests: { pageInfo: { hasNextPage: boolean }; nodes: unknown[] } }; rateLimit: { cost: number } } };
    expect(body.data.repository.pullRequests.nodes).toHaveLength(5);
    expect(body.data.repository.pullRequests.pageInfo.hasNextPage).toBe(true);
    expect(body.data.rateLimit.cost).toBe(1);
    const bad = await fetch(`${gh.url}/graphql`, { method: 'POST', headers: auth, body: JSON.stringify({ query: '{ viewer { nope } }' }) });
    expect(((await bad.json()) as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
  });
});
