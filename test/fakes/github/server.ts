import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { verify as verifySignature } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DataBuilder, iso, type RepoData, type RepoSpec } from './data.js';
import type { Json } from './examples.js';
import { budgetHeaders, createBudget, refresh, type Budget } from './budget.js';
import { answerGraphQL } from './graphql.js';

/**
 * A fake GitHub API on 127.0.0.1: records in the shapes of GitHub's OpenAPI examples, link-header
 * pagination (page, per_page ≤ 100), `since`/`sort`/`direction`/`created` filters, rate-limit headers,
 * a GraphQL endpoint executing queries against GitHub's published schema, and injectable faults.
 * Reused by the connector tests and the conformance suite (recording cassettes without a token).
 */
export interface FakeGitHubOptions {
  /** The token the server accepts (`Authorization: Bearer|token <token>`). Default "test-token". */
  token?: string;
  /** Repositories and how many records each holds. Default: one small repository "octo-org/hello-world". */
  repos?: RepoSpec[];
  /** Organizations and the repositories (full names from `repos`) they own. */
  orgs?: Record<string, string[]>;
  /** Timestamp of record 1 (ISO). Default 2024-01-01T00:00:00Z. */
  epoch?: string;
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number;
  /** REST (core) requests per hour. Default 5000. With none left, requests get GitHub's 403. */
  rateLimit?: number;
  /** GraphQL points per hour. Default 5000. With none left, queries get a RATE_LIMITED error. */
  graphqlRateLimit?: number;
  /** The server's clock in epoch ms (rate-limit windows, resets). Default Date.now. */
  clock?: () => number;
  /** Scopes reported in `x-oauth-scopes`. Default "repo, read:org". */
  scopes?: string;
  fault?: FaultOptions;
  /** OAuth app credentials accepted by POST /login/oauth/access_token (refresh_token grant). */
  oauth?: { clientId: string; clientSecret: string; refreshToken: string };
  /** GitHub App: its id and public key (PEM); installation tokens are minted for JWTs it signed. */
  app?: { appId: string; publicKey: string; installationId: string };
}

export type FaultKind = 'primary_rate_limit' | 'secondary_rate_limit' | 'secondary_rate_limit_429' | 'unauthorized' | 'server_error';

export interface FaultOptions {
  kind: FaultKind;
  /** Requests answered normally before the fault starts. Default 0. */
  after?: number;
  /** How many requests get the fault. Default: every request from `after` on. */
  times?: number;
  /** Seconds until reset (primary) or Retry-After (secondary). Default 1. */
  seconds?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  status: number;
}

export interface FakeGitHub {
  url: string;
  requests: LoggedRequest[];
  repos: Map<string, RepoData>;
  /** Change a fault (or clear it with undefined) while running. */
  setFault(fault: FaultOptions | undefined): void;
  /** Mark the first `count` records of a kind as updated now (later than every earlier timestamp). */
  touch(repo: string, kind: TouchKind, count: number): Json[];
  close(): Promise<void>;
}

export type TouchKind = 'pulls' | 'issues' | 'issueComments' | 'reviewComments' | 'commits' | 'workflowRuns';

type Handler = (ctx: Context) => Reply | Promise<Reply>;
interface Context {
  params: Record<string, string>;
  headers: Record<string, string>;
  query: URLSearchParams;
  url: URL;
  body: unknown;
}
interface Reply {
  status?: number;
  body: unknown;
  /** A list to page (link header); the body is the page, or `wrap(page)`. */
  list?: readonly Json[];
  wrap?: (page: readonly Json[], total: number) => unknown;
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const token = options.token ?? 'test-token';
  const limit = options.rateLimit ?? 5000;
  const scopes = options.scopes ?? 'repo, read:org';
  let base = '';
  const builder = new DataBuilder(() => base, Date.parse(options.epoch ?? '2024-01-01T00:00:00Z'));
  const repos = new Map<string, RepoData>();
  const orgs = options.orgs ?? {};
  const requests: LoggedRequest[] = [];
  let fault = options.fault;
  let faultSeen = 0;
  const clock = options.clock ?? Date.now;
  const core = createBudget('core', limit, clock);
  const graphqlBudget = createBudget('graphql', options.graphqlRateLimit ?? limit, clock);

  const repoOf = (p: Record<string, string>) => repos.get(`${p.owner}/${p.repo}`);
  const routes: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/user$/, () => ({ body: builder.user() })],
    ['GET', /^\/rate_limit$/, () => ({ body: rateLimitBody(core, graphqlBudget) })],
    ['POST', /^\/app\/installations\/(?<id>[^/]+)\/access_tokens$/, ({ params, headers }) => {
      const app = options.app;
      if (!app || params.id !== app.installationId) return notFound();
      if (!validAppJwt(headers.authorization, app)) return { status: 401, body: { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' } };
      return { status: 201, body: { token, expires_at: new Date(clock() + 3_600_000).toISOString(), permissions: { metadata: 'read', pull_requests: 'read' }, repository_selection: 'all' } };
    }],
    // github.com/login/oauth/access_token (served here too, so tests point `token_url` at the fake).
    ['POST', /^\/login\/oauth\/access_token$/, ({ body }) => {
      const form = new URLSearchParams(typeof body === 'string' ? body : '');
      const oauth = options.oauth;
      const ok = oauth && form.get('grant_type') === 'refresh_token' && form.get('client_id') === oauth.clientId && form.get('client_secret') === oauth.clientSecret && form.get('refresh_token') === oauth.refreshToken;
      if (!ok) return { status: 400, body: { error: 'bad_refresh_token', error_description: 'The refresh token passed is incorrect or expired.' } };
      return { body: { access_token: token, expires_in: 28800, refresh_token: `${oauth.refreshToken}-rotated`, refresh_token_expires_in: 15811200, token_type: 'bearer', scope: '' } };
    }],
    ['GET', /^\/orgs\/(?<org>[^/]+)\/repos$/, ({ params, query }) => {
      const names = orgs[params.org ?? ''];
      if (!names) return notFound();
      const list = names.map((n) => repos.get(n)).filter((r): r is RepoData => r !== undefined).map((r) => builder.minimal(r));
      return { body: null, list: sortBy(list, query, 'full_name', 'asc', { full_name: 'full_name', created: 'created_at', updated: 'updated_at', pushed: 'pushed_at' }) };
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)$/, ({ params }) => {
      const repo = repoOf(params);
      return repo ? { body: repo.repository } : notFound();
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/pulls$/, ({ params, query }) => {
      const repo = repoOf(params);
      if (!repo) return notFound();
      const state = query.get('state') ?? 'open';
      const list = repo.pulls.filter((p) => state === 'all' || p.state === state);
      return { body: null, list: sortBy(list, query, 'created', 'desc', { created: 'created_at', updated: 'updated_at' }) };
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/pulls\/comments$/, ({ params, query }) => {
      const repo = repoOf(params);
      if (!repo) return notFound();
      return { body: null, list: sortBy(since(repo.reviewComments, query, 'updated_at'), query, 'created', 'asc', { created: 'created_at', updated: 'updated_at' }) };
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/pulls\/(?<number>\d+)\/reviews$/, ({ params }) => {
      const repo = repoOf(params);
      const reviews = repo?.reviews.get(Number(params.number));
      return reviews ? { body: null, list: reviews } : notFound();
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/issues$/, ({ params, query }) => {
      const repo = repoOf(params);
      if (!repo) return notFound();
      const state = query.get('state') ?? 'open';
      const list = since(repo.issues, query, 'updated_at').filter((p) => state === 'all' || p.state === state);
      return { body: null, list: sortBy(list, query, 'created', 'desc', { created: 'created_at', updated: 'updated_at' }) };
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/issues\/comments$/, ({ params, query }) => {
      const repo = repoOf(params);
      if (!repo) return notFound();
      return { body: null, list: sortBy(since(repo.issueComments, query, 'updated_at'), query, 'created', 'asc', { created: 'created_at', updated: 'updated_at' }) };
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/commits$/, ({ params, query }) => {
      const repo = repoOf(params);
      if (!repo) return notFound();
      const date = (c: Json) => String(((c.commit as Json).committer as Json).date);
      const from = query.get('since');
      const list = repo.commits.filter((c) => !from || date(c) >= normalise(from));
      return { body: null, list: [...list].sort((a, b) => compare(date(b), date(a))) };
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/actions\/runs$/, ({ params, query }) => {
      const repo = repoOf(params);
      if (!repo) return notFound();
      const list = repo.workflowRuns.filter((r) => matchesCreated(String(r.created_at), query.get('created')));
      return {
        body: null,
        list: [...list].sort((a, b) => compare(String(b.created_at), String(a.created_at))),
        wrap: (page, total) => ({ total_count: total, workflow_runs: page }),
      };
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/commits\/(?<ref>[^/]+)\/check-runs$/, ({ params }) => {
      const repo = repoOf(params);
      if (!repo) return notFound();
      return { body: null, list: repo.checkRuns, wrap: (page, total) => ({ total_count: total, check_runs: page }) };
    }],
    ['GET', /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/commits\/(?<ref>[^/]+)\/statuses$/, ({ params }) => {
      const repo = repoOf(params);
      return repo ? { body: null, list: repo.statuses } : notFound();
    }],
    ['POST', /^\/graphql$/, async ({ body }) => ({ body: await answerGraphQL((body ?? {}) as Json, repos, graphqlBudget) })],
  ];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      send(res, 500, { message: `fake GitHub failed: ${String(error)}` }, {});
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const raw = await readBody(req);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')])),
      body,
      status: 0,
    };
    requests.push(entry);
    const budget = url.pathname === '/graphql' ? graphqlBudget : core;
    refresh(budget, clock);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      send(res, status, payload, { ...rateHeaders(budget), ...headers });
    };

    const injected = nextFault();
    if (injected) {
      const [status, payload, headers] = faultReply(injected, clock);
      reply(status, payload, headers);
      return;
    }
    const isTokenMint = /^\/app\/installations\/[^/]+\/access_tokens$|^\/login\/oauth\/access_token$/.test(url.pathname);
    if (!isTokenMint && !authorised(entry.headers.authorization)) {
      reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
      return;
    }
    // The budget is spent: GitHub's primary rate limit (REST: 403; GraphQL: 200 with RATE_LIMITED).
    if (budget.remaining <= 0 && url.pathname !== '/rate_limit') {
      if (budget.resource === 'graphql') reply(200, { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit already exceeded for user ID 1.' }] });
      else reply(403, { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' });
      return;
    }
    // GraphQL spends points (answerGraphQL); /rate_limit is free, as on GitHub.
    if (url.pathname !== '/rate_limit' && budget.resource === 'core') budget.remaining--;
    for (const [method, pattern, handler] of routes) {
      const match = pattern.exec(url.pathname);
      if (!match || method !== req.method) continue;
      const result = await handler({ params: { ...match.groups }, headers: entry.headers, query: url.searchParams, url, body });
      if (!result.list) {
        reply(result.status ?? 200, result.body);
        return;
      }
      const { page, links } = paginate(result.list, url);
      reply(result.status ?? 200, result.wrap ? result.wrap(page, result.list.length) : page, links ? { link: links } : {});
      return;
    }
    const [status, payload] = notFoundPair();
    reply(status, payload);
  }

  function authorised(header: string | undefined): boolean {
    if (!header) return false;
    const [scheme, value] = header.split(' ');
    return (scheme === 'Bearer' || scheme === 'token') && value === token;
  }

  function rateHeaders(budget: Budget): Record<string, string> {
    return {
      ...budgetHeaders(budget),
      'x-oauth-scopes': scopes,
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `FAKE:${requests.length}`,
    };
  }

  function nextFault(): FaultOptions | undefined {
    if (!fault) return undefined;
    const index = faultSeen++;
    const after = fault.after ?? 0;
    if (index < after) return undefined;
    if (fault.times !== undefined && index >= after + fault.times) return undefined;
    return fault;
  }

  function paginate(list: readonly Json[], url: URL): { page: readonly Json[]; links?: string } {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    const pageNo = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(list.length / perPage));
    const page = list.slice((pageNo - 1) * perPage, pageNo * perPage);
    const link = (n: number, rel: string) => {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(n));
      if (!next.searchParams.has('per_page')) next.searchParams.set('per_page', String(perPage));
      return `<${base}${next.pathname}${next.search}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (pageNo > 1) links.push(link(pageNo - 1, 'prev'), link(1, 'first'));
    if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'));
    return links.length ? { page, links: links.join(', ') } : { page };
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Records embed their API URLs, so they are built once the port is known.
  (options.repos ?? [{ full_name: 'octo-org/hello-world' }]).forEach((spec, i) => repos.set(spec.full_name, builder.repo(spec, i)));

  return {
    url: base,
    requests,
    repos,
    setFault(next) {
      fault = next;
      faultSeen = 0;
    },
    touch(repoName, kind, count) {
      const repo = repos.get(repoName);
      if (!repo) throw new Error(`fake GitHub has no repository ${repoName}`);
      const touched = repo[kind].slice(0, count);
      for (const record of touched) {
        const at = builder.later();
        if (kind === 'commits') {
          const inner = record.commit as Json;
          inner.committer = { ...(inner.committer as Json), date: at };
        } else {
          record.updated_at = at;
        }
        if (kind === 'pulls') {
          const issue = repo.issues.find((i) => i.number === record.number);
          if (issue) issue.updated_at = at;
        }
      }
      return touched;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** An App JWT (RS256) signed by the App's private key, issued by the App, not expired. */
function validAppJwt(authorization: string | undefined, app: { appId: string; publicKey: string }): boolean {
  const jwt = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  const [header, payload, signature] = jwt?.split('.') ?? [];
  if (!header || !payload || !signature) return false;
  const signed = verifySignature('RSA-SHA256', Buffer.from(`${header}.${payload}`), app.publicKey, Buffer.from(signature, 'base64url'));
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number };
  return signed && String(claims.iss) === app.appId && (claims.exp ?? 0) * 1000 > Date.now();
}

function faultReply(fault: FaultOptions, clock: () => number): [number, unknown, Record<string, string>] {
  const seconds = fault.seconds ?? 1;
  const table: Record<FaultKind, () => [number, unknown, Record<string, string>]> = {
    primary_rate_limit: () => [
      403,
      { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(clock() / 1000) + seconds) },
    ],
    secondary_rate_limit: () => [
      403,
      { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' },
      { 'retry-after': String(seconds) },
    ],
    secondary_rate_limit_429: () => [
      429,
      { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
      { 'retry-after': String(seconds) },
    ],
    unauthorized: () => [401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }, {}],
    server_error: () => [502, { message: 'Server Error' }, {}],
  };
  return table[fault.kind]();
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const notFoundPair = (): [number, unknown] => [404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }];
const notFound = (): Reply => {
  const [status, body] = notFoundPair();
  return { status, body };
};

/** Code-unit order: ISO timestamps and names sort right, far faster than a locale-aware compare. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** GitHub compares ISO instants; accept dates without a time part too. */
function normalise(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : iso(ms);
}

function since(list: readonly Json[], query: URLSearchParams, field: string): Json[] {
  const from = query.get('since');
  if (!from) return [...list];
  const bound = normalise(from);
  return list.filter((r) => String(r[field]) >= bound);
}

function sortBy(list: readonly Json[], query: URLSearchParams, defaultSort: string, defaultDirection: 'asc' | 'desc', fields: Record<string, string>): Json[] {
  const field = fields[query.get('sort') ?? defaultSort] ?? fields[defaultSort] ?? 'created_at';
  const sign = (query.get('direction') ?? defaultDirection) === 'asc' ? 1 : -1;
  return [...list].sort((a, b) => sign * (compare(String(a[field]), String(b[field])) || Number(a.id) - Number(b.id)));
}

/** The `created` filter of workflow runs: ">=DATE", "<=DATE", ">DATE", "<DATE", "A..B" or "DATE". */
function matchesCreated(created: string, filter: string | null): boolean {
  if (!filter) return true;
  const at = Date.parse(created);
  const range = /^(.+)\.\.(.+)$/.exec(filter);
  if (range) return at >= Date.parse(range[1] ?? '') && at <= Date.parse(range[2] ?? '');
  const op = /^(>=|<=|>|<)?(.+)$/.exec(filter);
  const bound = Date.parse(op?.[2] ?? '');
  switch (op?.[1]) {
    case '>=': return at >= bound;
    case '<=': return at <= bound;
    case '>': return at > bound;
    case '<': return at < bound;
    default: return created.startsWith(op?.[2] ?? '');
  }
}

function rateLimitBody(core: Budget, graphql: Budget): Json {
  const view = (b: Budget) => ({ limit: b.limit, remaining: b.remaining, used: b.limit - b.remaining, reset: b.reset });
  return {
    resources: { core: view(core), graphql: view(graphql), search: { limit: 30, remaining: 30, used: 0, reset: core.reset } },
    rate: view(core),
  };
}
