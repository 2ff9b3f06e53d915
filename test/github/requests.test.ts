import { validate as validateAgainstOctokit } from '@octokit/graphql-schema';
import { parse, type OperationDefinitionNode } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileExpression, compileTemplate } from '../../runtime/expressions/index.js';
import { buildRequest } from '../../runtime/http/index.js';
import { loadManifest, type LoadedManifest, type StreamNode } from '../../runtime/manifest/index.js';
import { validateGitHubQuery } from '../fakes/github/index.js';
import { matchOperation, requestProblems } from './openapi-match.js';

/**
 * The manifest's requests, checked against GitHub's own descriptions: every REST request it can
 * produce against the OpenAPI description (@octokit/openapi), every GraphQL query against the
 * published schema (@octokit/graphql-schema).
 */

const config = {
  base_url: 'https://api.github.com',
  repositories: ['someone/hello-world'],
  organization: 'octo-org',
  start_date: '2024-01-01T00:00:00Z',
  token: 'x',
};

/** A mapped record of each parent stream, to derive substream partitions from `partitions.value`. */
const sampleRecords: Record<string, Record<string, unknown>> = {
  repositories: { id: 1, full_name: 'octo-org/hello-world', default_branch: 'main' },
  pull_requests: { id: 2, repo: 'octo-org/hello-world', number: 42, updated_at: '2024-01-01T00:00:00Z' },
};

let manifest: LoadedManifest;
beforeAll(async () => {
  manifest = await loadManifest('manifests/github.yaml');
});

/** Every partition value a stream can see, derived from its `partitions` rule. */
async function samplePartitions(stream: StreamNode): Promise<Record<string, unknown>[]> {
  const rule = stream.partitions;
  if (!rule) return [{}];
  if ('list' in rule) {
    const items = (await compileTemplate(rule.list).render({ config })) as unknown[];
    return items.map((item) => ({ [rule.as]: item }));
  }
  const parent = sampleRecords[rule.parent];
  if (!parent) throw new Error(`no sample record for parent stream ${rule.parent}`);
  const value = rule.value ? await compileExpression(rule.value).evaluate(parent, { config }) : parent;
  return [{ [rule.as]: value }];
}

interface Produced {
  stream: string;
  method: string;
  path: string;
  query: string[];
  graphql: boolean;
}

/** Every request a stream can produce: first page, with a cursor bound, and a followed next link. */
async function producedRequests(name: string, stream: StreamNode): Promise<Produced[]> {
  const out: Produced[] = [];
  for (const partition of await samplePartitions(stream)) {
    const scope = { config, partition, cursor: '2024-02-01T00:00:00Z', state: {}, now: '2024-03-01T00:00:00Z' };
    const request = await buildRequest(manifest.node.requester, stream.request, scope);
    const url = new URL(request.url);
    const query = new Set(Object.keys(request.params));
    const bound = stream.incremental?.lower_bound;
    if (bound?.into === 'param') {
      const rendered = await compileTemplate(bound.value ?? '{{ cursor }}').render(scope);
      expect(rendered, `${name}: lower bound renders`).toBeTruthy();
      query.add(bound.name);
    }
    // GitHub's next links (on operations whose 200 response declares `Link`) repeat the query and add `page`.
    if (stream.pagination?.type === 'link_header' && matchOperation(request.method, url.pathname)?.paged) query.add('page');
    out.push({ stream: name, method: request.method, path: url.pathname, query: [...query], graphql: request.graphql === true });
  }
  return out;
}

describe('manifests/github.yaml REST requests match api.github.com (OpenAPI)', () => {
  it('every stream request: path, method and query parameters are documented', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const [name, stream] of Object.entries(manifest.node.streams)) {
      for (const produced of await producedRequests(name, stream)) {
        if (produced.graphql) continue;
        checked++;
        problems.push(...requestProblems(produced.method, produced.path, produced.query).map((p) => `${name}: ${p}`));
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(11);
  });

  it('both kinds of repositories partitions (a repository, an organization) hit documented operations', async () => {
    const produced = await producedRequests('repositories', manifest.node.streams.repositories as StreamNode);
    expect(produced.map((p) => p.path).sort()).toEqual(['/orgs/octo-org/repos', '/repos/someone/hello-world']);
    expect(produced.find((p) => p.path === '/repos/someone/hello-world')?.query).toEqual([]);
    expect(produced.find((p) => p.path === '/orgs/octo-org/repos')?.query.sort()).toEqual(['page', 'per_page', 'sort', 'type']);
  });

  it('check and health_check paths are documented GET operations', async () => {
    for (const path of [manifest.node.check?.path, manifest.node.health_check?.path]) {
      expect(path).toBeDefined();
      expect(requestProblems('GET', path as string, [])).toEqual([]);
    }
  });

  it('an undocumented parameter or path is caught (the check is not vacuous)', () => {
    expect(requestProblems('GET', '/repos/o/r/pulls', ['since'])).toHaveLength(1);
    expect(requestProblems('GET', '/repos/o/r/pull', [])).toHaveLength(1);
    expect(requestProblems('GET', '/repos/o/r/pulls/comments', ['since'])).toEqual([]);
  });

  it('pins the REST API version and asks for GitHub JSON', () => {
    expect(manifest.node.requester.headers).toMatchObject({ 'X-GitHub-Api-Version': '2022-11-28', Accept: 'application/vnd.github+json' });
  });
});

describe('manifests/github.yaml GraphQL queries validate against @octokit/graphql-schema', () => {
  const graphqlStreams = () => Object.entries(manifest.node.streams).filter(([, s]) => s.request.graphql);

  it('has at least one GraphQL stream', () => {
    expect(graphqlStreams().map(([name]) => name)).toContain('pull_requests_graphql');
  });

  it('every query is valid for GitHub’s schema (octokit validate and graphql-js validate)', () => {
    for (const [name, stream] of graphqlStreams()) {
      const query = stream.request.graphql?.query ?? '';
      expect(validateAgainstOctokit(query).map((e) => e.message), name).toEqual([]);
      expect(validateGitHubQuery(query).errors.map((e) => e.message), name).toEqual([]);
    }
  });

  it('declares exactly the variables the manifest supplies plus the relay cursor, and asks for the rate-limit cost', () => {
    for (const [name, stream] of graphqlStreams()) {
      const graphql = stream.request.graphql;
      const document = parse(graphql?.query ?? '');
      const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
      const declared = (operation?.variableDefinitions ?? []).map((v) => v.variable.name.value).sort();
      const cursor = stream.pagination?.type === 'graphql_relay' ? stream.pagination.cursor_variable : undefined;
      const supplied = [...Object.keys(graphql?.variables ?? {}), ...(cursor ? [cursor] : [])].sort();
      expect(declared, name).toEqual(supplied);
      expect(graphql?.query, name).toMatch(/rateLimit\s*\{\s*cost\s+remaining\s+resetAt\s*\}/);
      if (graphql?.operation_name) expect(operation?.name?.value, name).toBe(graphql.operation_name);
    }
  });

  it('a broken query is caught (the check is not vacuous)', () => {
    expect(validateGitHubQuery('{ repository(owner: "a", name: "b") { pullRequests(first: 1) { nodes { nope } } } }').errors.length).toBeGreaterThan(0);
  });
});
