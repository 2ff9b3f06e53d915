import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../runtime/config/index.js';
import { loadManifest, type LoadedManifest } from '../../runtime/manifest/index.js';
import type { AirbyteMessage, ConfiguredCatalog, StreamState } from '../../runtime/protocol/messages.js';
import { createRecordPipeline } from '../../runtime/records/index.js';
import { createConnector } from '../../runtime/sync/index.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../fakes/github/index.js';
import { requestProblems } from './openapi-match.js';
import { streamValidators, type StreamValidators } from './stream-schemas.js';

/**
 * manifests/github.yaml read end to end by the real engine (createConnector) against the fake GitHub
 * API on 127.0.0.1: every stream, paging through thousands of pull requests, incremental reads,
 * primary and secondary rate limits, and `check` with a bad token. Waits go through an injected sleep.
 */

let manifest: LoadedManifest;
let validators: StreamValidators;
const servers: FakeGitHub[] = [];
let connections = 0;

beforeAll(async () => {
  manifest = await loadManifest('manifests/github.yaml');
  validators = streamValidators(manifest);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const TWO_REPOS: FakeGitHubOptions = {
  repos: [{ full_name: 'octo-org/hello-world' }, { full_name: 'octo-org/spoon-knife', pulls: 3, issues: 2, reviewsPerPull: 2 }],
  orgs: { 'octo-org': ['octo-org/hello-world', 'octo-org/spoon-knife'] },
};

async function fake(options: FakeGitHubOptions = TWO_REPOS): Promise<FakeGitHub> {
  const server = await startFakeGitHub(options);
  servers.push(server);
  return server;
}

interface ReadResult {
  records: Map<string, Record<string, unknown>[]>;
  states: StreamState[];
  errors: AirbyteMessage[];
  waits: number[];
}

function connector(server: FakeGitHub, raw: Record<string, unknown>, waits: number[] = []) {
  const config = resolveConfig(raw, manifest, { env: {} });
  return createConnector({
    manifest,
    config,
    // A fresh connection per connector: budgets and breakers are kept per connection.
    connectionId: `github-test-${++connections}`,
    urlBaseOverride: server.url,
    sleep: async (ms: number) => {
      waits.push(ms);
    },
  });
}

async function read(server: FakeGitHub, raw: Record<string, unknown>, options: { catalog?: ConfiguredCatalog; state?: StreamState[] } = {}): Promise<ReadResult> {
  const waits: number[] = [];
  const c = connector(server, raw, waits);
  const out: ReadResult = { records: new Map(), states: [], errors: [], waits };
  try {
    for await (const message of c.read(options.catalog, options.state)) {
      if (message.type === 'RECORD') {
        const list = out.records.get(message.record.stream) ?? [];
        list.push(message.record.data);
        out.records.set(message.record.stream, list);
      } else if (message.type === 'STATE') out.states.push(message.state);
      else if (message.type === 'TRACE' && message.trace.type === 'ERROR') out.errors.push(message);
    }
  } finally {
    await c.close();
  }
  return out;
}

/** The last STATE of each stream: what a platform would pass to the next read. */
function finalStates(states: readonly StreamState[]): StreamState[] {
  const last = new Map<string, StreamState>();
  for (const state of states) if (state.stream) last.set(state.stream.stream_descriptor.name, state);
  return [...last.values()];
}

function catalogOf(...streams: string[]): ConfiguredCatalog {
  const discovered = connectorForCatalog().discover();
  if (discovered.type !== 'CATALOG') throw new Error('discover did not answer a CATALOG');
  return {
    streams: discovered.catalog.streams
      .filter((s) => streams.includes(s.name))
      .map((stream) => ({
        stream,
        sync_mode: stream.supported_sync_modes.includes('incremental') ? 'incremental' : 'full_refresh',
        destination_sync_mode: 'append',
        ...(stream.default_cursor_field ? { cursor_field: stream.default_cursor_field } : {}),
      })),
  } as ConfiguredCatalog;
}

function connectorForCatalog() {
  return createConnector({ manifest, config: resolveConfig({ token: 't', repositories: ['a/b'] }, manifest, { env: {} }) });
}

const ALL_STREAMS = [
  'repositories',
  'pull_requests',
  'issues',
  'issue_comments',
  'pull_request_reviews',
  'review_comments',
  'commits',
  'workflow_runs',
  'check_runs',
  'commit_statuses',
  'pull_requests_graphql',
];

const CONFIG = { token: 'test-token', repositories: ['octo-org/hello-world', 'octo-org/spoon-knife'] };

describe('manifests/github.yaml read against the fake GitHub API', () => {
  it('reads every stream: records conform to the stream schema, primary keys are unique, counts match the API', async () => {
    const server = await fake();
    const result = await read(server, CONFIG);
    expect(result.errors).toEqual([]);
    expect([...result.records.keys()].sort()).toEqual([...ALL_STREAMS].sort());
    for (const [stream, records] of result.records) {
      const pipeline = createRecordPipeline(manifest.node.streams[stream]!, stream);
      const keys = new Set<string>();
      for (const record of records) {
        expect(validators.problems(stream, record), `${stream} ${JSON.stringify(record).slice(0, 200)}`).toEqual([]);
        keys.add(pipeline.keyOf(record));
      }
      expect(keys.size, `${stream}: unique primary keys`).toBe(records.length);
    }
    const count = (stream: string) => result.records.get(stream)?.length ?? 0;
    const repos = [...server.repos.values()];
    const total = (f: (r: (typeof repos)[number]) => number) => repos.reduce((n, r) => n + f(r), 0);
    expect(count('repositories')).toBe(2);
    expect(count('pull_requests')).toBe(total((r) => r.pulls.length));
    expect(count('pull_requests_graphql')).toBe(total((r) => r.pulls.length));
    // /issues lists pull requests too: the stream keeps only real issues.
    expect(count('issues')).toBe(total((r) => r.spec.issues));
    expect(count('pull_request_reviews')).toBe(total((r) => r.pulls.length * r.spec.reviewsPerPull));
    expect(count('commits')).toBe(total((r) => r.commits.length));
    expect(count('workflow_runs')).toBe(total((r) => r.workflowRuns.length));
    const graphqlPull = result.records.get('pull_requests_graphql')?.find((r) => r.number === 3);
    expect(graphqlPull).toMatchObject({ repo: expect.any(String), files: expect.any(Array), reviews: expect.any(Array), labels: expect.any(Array) });
    // Every stream is a substream of repositories: one read fetches each repository once, and the
    // pull requests once (pull_request_reviews replays them), not once per child stream.
    const fetched = (path: string) => server.requests.filter((r) => r.path === path).length;
    for (const name of CONFIG.repositories) {
      expect(fetched(`/repos/${name}`), `/repos/${name}`).toBe(1);
      expect(fetched(`/repos/${name}/pulls`), `/repos/${name}/pulls`).toBe(1);
    }
  });

  it('every request the engine sent is a documented api.github.com operation with documented query parameters', async () => {
    const server = await fake();
    await read(server, { ...CONFIG, organization: 'octo-org' });
    const problems = server.requests
      .filter((r) => r.path !== '/graphql')
      .flatMap((r) => requestProblems(r.method, r.path, Object.keys(r.query)));
    expect(problems).toEqual([]);
    for (const request of server.requests) {
      expect(request.headers['x-github-api-version']).toBe('2022-11-28');
      expect(request.headers.accept).toBe('application/vnd.github+json');
      if (request.query.per_page !== undefined) expect(request.query.per_page).toBe('100');
    }
  });

  it('an organization adds every repository of it, and a configured repository of it is read once', async () => {
    const server = await fake({
      repos: [{ full_name: 'octo-org/hello-world' }, { full_name: 'octo-org/spoon-knife' }, { full_name: 'someone/else', pulls: 1 }],
      orgs: { 'octo-org': ['octo-org/hello-world', 'octo-org/spoon-knife'] },
    });
    const result = await read(server, { token: 'test-token', repositories: ['octo-org/hello-world', 'someone/else'], organization: 'octo-org' }, { catalog: catalogOf('repositories') });
    expect(result.errors).toEqual([]);
    expect((result.records.get('repositories') ?? []).map((r) => r.full_name).sort()).toEqual(['octo-org/hello-world', 'octo-org/spoon-knife', 'someone/else']);
  });

  // ~50 MB of pull requests through the real HTTP path: give it room on a busy 2-core CI machine.
  it('pages through thousands of pull requests in one repository (REST: 100 per page; GraphQL: relay cursors)', { timeout: 90_000 }, async () => {
    const server = await fake({ repos: [{ full_name: 'big/monorepo', pulls: 2500, issues: 0, reviewsPerPull: 0 }] });
    const result = await read(server, { token: 'test-token', repositories: ['big/monorepo'] }, { catalog: catalogOf('pull_requests', 'pull_requests_graphql') });
    expect(result.errors).toEqual([]);
    for (const stream of ['pull_requests', 'pull_requests_graphql']) {
      const records = result.records.get(stream) ?? [];
      expect(records).toHaveLength(2500);
      expect(new Set(records.map((r) => r.number)).size).toBe(2500);
    }
    const pages = server.requests.filter((r) => r.path === '/repos/big/monorepo/pulls');
    expect(pages).toHaveLength(25);
    expect(pages.map((r) => r.query.page ?? '1')).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
    expect(server.requests.filter((r) => r.path === '/graphql')).toHaveLength(50);
  });

  it('an incremental read from the final state yields only what changed since', async () => {
    const server = await fake();
    const first = await read(server, CONFIG);
    expect(first.errors).toEqual([]);
    const touched = {
      pull_requests: server.touch('octo-org/hello-world', 'pulls', 2).map((r) => r.id),
      issues: server.touch('octo-org/spoon-knife', 'issues', 5).filter((r) => !r.pull_request).map((r) => r.id),
      issue_comments: server.touch('octo-org/hello-world', 'issueComments', 1).map((r) => r.id),
      review_comments: server.touch('octo-org/hello-world', 'reviewComments', 1).map((r) => r.id),
      commits: server.touch('octo-org/hello-world', 'commits', 1).map((r) => r.sha),
      workflow_runs: server.touch('octo-org/hello-world', 'workflowRuns', 1).map((r) => r.id),
    };
    // The PRs touched above also appear (as issues) on /issues, where the stream filters them out.
    server.requests.length = 0;
    const second = await read(server, CONFIG, { state: finalStates(first.states) });
    expect(second.errors).toEqual([]);
    const ids = (stream: string, key = 'id') => (second.records.get(stream) ?? []).map((r) => r[key]).sort();
    expect(ids('pull_requests')).toEqual([...touched.pull_requests].sort());
    expect(ids('issues')).toEqual([...touched.issues].sort());
    expect(ids('issue_comments')).toEqual(touched.issue_comments);
    expect(ids('review_comments')).toEqual(touched.review_comments);
    expect(ids('commits', 'sha')).toEqual(touched.commits);
    expect(ids('pull_requests_graphql', 'number')).toEqual([1, 2]);
    // Reviews: only the changed pull requests are visited; their reviews were already read.
    const reviewCalls = server.requests.filter((r) => r.path.endsWith('/reviews')).map((r) => r.path).sort();
    expect(reviewCalls).toEqual(['/repos/octo-org/hello-world/pulls/1/reviews', '/repos/octo-org/hello-world/pulls/2/reviews']);
    expect(second.records.get('pull_request_reviews') ?? []).toEqual([]);
    // Workflow runs re-read a day (lookback, see the manifest): the changed run is there, nothing older than a day before the cursor.
    const runs = second.records.get('workflow_runs') ?? [];
    expect(runs.map((r) => r.id)).toEqual(expect.arrayContaining(touched.workflow_runs));
    // Requests with `since` carried the saved cursor.
    const since = server.requests.filter((r) => r.path === '/repos/octo-org/hello-world/issues').map((r) => r.query.since);
    expect(since.every((s) => typeof s === 'string' && s >= '2024-01-01T00:00:00Z')).toBe(true);
  });

  it('a state from the future yields no incremental records', async () => {
    const server = await fake();
    const first = await read(server, CONFIG, { catalog: catalogOf('issues', 'pull_requests') });
    const future = JSON.parse(JSON.stringify(finalStates(first.states)).replace(/20\d\d-\d\d-\d\dT[0-9:.]+Z/g, '2999-01-01T00:00:00Z')) as StreamState[];
    const second = await read(server, CONFIG, { catalog: catalogOf('issues', 'pull_requests'), state: future });
    expect(second.errors).toEqual([]);
    expect(second.records.get('issues') ?? []).toEqual([]);
    expect(second.records.get('pull_requests') ?? []).toEqual([]);
  });
});

describe('manifests/github.yaml rate limits', () => {
  const streams = ['repositories', 'pull_requests', 'issues', 'pull_requests_graphql'];

  // GitHub's primary window resets up to an hour later: the wait must last until the reset, in one sleep.
  const cases = [
    { kind: 'primary_rate_limit', seconds: 1800 },
    { kind: 'secondary_rate_limit', seconds: 30 },
    { kind: 'secondary_rate_limit_429', seconds: 30 },
  ] as const;
  for (const { kind, seconds } of cases) {
    it(`${kind}: waits as told (injected sleep) and finishes with the same records as a clean read`, async () => {
      const clean = await read(await fake(), CONFIG, { catalog: catalogOf(...streams) });
      // A clock the injected sleep advances: after waiting until the reset, the budget is not still spent
      // (with a frozen clock, a request refused twice would count the same reset twice).
      const time = virtualClock();
      const server = await fake({ ...TWO_REPOS, fault: { kind, after: 3, times: 2, seconds }, clock: time.clock });
      const result = { ...(await readWithClock(server, time, catalogOf(...streams))), waits: time.waits };
      expect(result.errors).toEqual([]);
      expect(server.requests.filter((r) => r.status === 403 || r.status === 429)).toHaveLength(2);
      for (const stream of streams) {
        expect((result.records.get(stream) ?? []).map((r) => (r as { id: unknown }).id).sort(), stream).toEqual((clean.records.get(stream) ?? []).map((r) => r.id).sort());
      }
      // It waited as GitHub asked (until the reset, or Retry-After), in one sleep, not a series of short
      // backoffs. After a primary limit every request in flight pauses until the reset (the budget is spent).
      const long = result.waits.filter((ms) => ms >= (seconds - 5) * 1000);
      expect(long.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...result.waits)).toBeLessThanOrEqual((seconds + 5) * 1000);
    });
  }

  /** A clock shared by the fake and the engine: the injected sleep advances it, so waiting for a reset is instant. */
  function virtualClock() {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const waits: number[] = [];
    return {
      waits,
      clock: () => t,
      now: () => new Date(t),
      sleep: async (ms: number) => {
        waits.push(ms);
        t += ms;
      },
    };
  }

  async function readWithClock(server: FakeGitHub, time: ReturnType<typeof virtualClock>, catalog: ConfiguredCatalog, raw: Record<string, unknown> = CONFIG) {
    const c = createConnector({
      manifest,
      config: resolveConfig(raw, manifest, { env: {} }),
      connectionId: `github-test-${++connections}`,
      urlBaseOverride: server.url,
      now: time.now,
      sleep: time.sleep,
    });
    const records = new Map<string, unknown[]>();
    const errors: AirbyteMessage[] = [];
    for await (const m of c.read(catalog)) {
      if (m.type === 'RECORD') records.set(m.record.stream, [...(records.get(m.record.stream) ?? []), m.record.data]);
      if (m.type === 'TRACE' && m.trace.type === 'ERROR') errors.push(m);
    }
    await c.close();
    return { records, errors };
  }

  it('a REST budget spent mid-sync: pauses until x-ratelimit-reset, then finishes (GitHub’s real 403 when none is left)', async () => {
    const time = virtualClock();
    const server = await fake({ ...TWO_REPOS, rateLimit: 5, clock: time.clock });
    const result = await readWithClock(server, time, catalogOf('repositories', 'pull_requests', 'issues'));
    expect(result.errors).toEqual([]);
    expect(result.records.get('pull_requests')).toHaveLength(15);
    expect(result.records.get('issues')).toHaveLength(10);
    // Every pause lasted until the reset (up to an hour), none longer.
    expect(Math.max(...time.waits)).toBeGreaterThan(30 * 60_000);
    expect(Math.max(...time.waits)).toBeLessThanOrEqual(3_600_000);
  });

  it('GraphQL points spent: the query’s own rateLimit { cost remaining resetAt } makes it wait for resetAt, then finish', async () => {
    const time = virtualClock();
    const server = await fake({ repos: [{ full_name: 'octo-org/hello-world', pulls: 260 }], graphqlRateLimit: 3, clock: time.clock });
    const result = await readWithClock(server, time, catalogOf('pull_requests_graphql'), { token: 'test-token', repositories: ['octo-org/hello-world'] });
    expect(result.errors).toEqual([]);
    const numbers = (result.records.get('pull_requests_graphql') ?? []).map((r) => (r as { number: number }).number);
    expect(new Set(numbers).size).toBe(260);
    expect(Math.max(...time.waits)).toBeGreaterThan(30 * 60_000);
    // 6 pages of 50; the cost rule refused the pages that left too few points and fetched them again after the wait.
    expect(server.requests.filter((r) => r.path === '/graphql').length).toBeGreaterThan(6);
    // No query was answered RATE_LIMITED: the cost rule waited before the budget ran out.
    expect(server.requests.filter((r) => r.path === '/graphql' && r.status !== 200)).toEqual([]);
  });

  it('reports the rate-limit headroom in health()', async () => {
    const server = await fake();
    const c = connector(server, CONFIG);
    for await (const _ of c.read(catalogOf('repositories'))) void _;
    expect(c.health().rateLimitRemaining).toBeLessThan(5000);
    await c.close();
  });
});

describe('manifests/github.yaml check', () => {
  it('succeeds with a good token', async () => {
    const server = await fake();
    const c = connector(server, CONFIG);
    expect(await c.check()).toEqual({ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } });
    expect(server.requests.map((r) => r.path)).toEqual(['/user']);
    await c.close();
  });

  it('a bad token fails with a message naming `token` and the scopes, without the token', async () => {
    const server = await fake();
    const c = connector(server, { ...CONFIG, token: 'ghp_wrongwrongwrong' });
    const status = await c.check();
    await c.close();
    expect(status.type).toBe('CONNECTION_STATUS');
    const message = status.type === 'CONNECTION_STATUS' ? status.connectionStatus : undefined;
    expect(message?.status).toBe('FAILED');
    expect(message?.message).toMatch(/`token`/);
    expect(message?.message).toMatch(/repo/);
    expect(message?.message).toMatch(/read:org/);
    expect(JSON.stringify(status)).not.toContain('ghp_wrongwrongwrong');
  });

  it('a repository that does not exist fails the read with a message naming it', async () => {
    const server = await fake();
    const result = await read(server, { token: 'test-token', repositories: ['octo-org/nope'] }, { catalog: catalogOf('repositories') });
    expect(JSON.stringify(result.errors)).toMatch(/octo-org\/nope.*not exist|not exist.*octo-org\/nope/s);
    // The repository name or the token's reach is wrong: the user must fix the config (not a system fault).
    expect(result.errors.map((e) => (e.type === 'TRACE' && e.trace.type === 'ERROR' ? e.trace.error.failure_type : undefined))).toEqual(['config_error']);
  });
});
