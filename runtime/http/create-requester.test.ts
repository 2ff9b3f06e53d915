import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../auth/index.js';
import type { AuthNode } from '../auth/schema.js';
import { ConnectorError } from '../errors/index.js';
import { buildRequest } from './build-request.js';
import { createRequester } from './create-requester.js';
import { isHttpStatusError, isRateLimitedError } from './errors.js';
import type { RequesterNode, RequestNode } from './schema.js';
import { collectRepeatedly } from './test-support/gc.js';
import { json, startServer, type Handler, type LocalServer } from './test-support/local-server.js';
import type { PreparedRequest, Requester } from './types.js';

const TOKEN = 'ghp_SuperSecretToken1234567890';
const START = Date.parse('2026-01-01T00:00:00Z');
let servers: LocalServer[] = [];
let requesters: Requester[] = [];
let connection = 0;

afterEach(async () => {
  await Promise.all(requesters.map((r) => r.close()));
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  requesters = [];
});

interface Setup {
  server: LocalServer;
  requester: Requester;
  sleeps: number[];
  clock: { now: number };
  send(request?: Partial<PreparedRequest>): ReturnType<Requester['send']>;
}

async function setup(handler: Handler, node: Partial<RequesterNode> = {}, opts: { auth?: AuthNode; random?: () => number; connectionId?: string } = {}): Promise<Setup> {
  const server = await startServer(handler);
  servers.push(server);
  const sleeps: number[] = [];
  const clock = { now: START };
  const config = { token: TOKEN, api_key: TOKEN };
  const requester = createRequester({
    requester: { url_base: server.url, timeout_ms: 2000, ...node },
    auth: createAuthenticator(opts.auth ?? { type: 'bearer', token: '{{ config.token }}' }, { scope: { config }, tokenKey: 'k', urlBase: server.url }),
    connectorName: 'github',
    connectionId: opts.connectionId ?? `c${++connection}`,
    scope: { config },
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    now: () => new Date(clock.now),
    random: opts.random ?? (() => 0.5),
  });
  requesters.push(requester);
  const send = (request: Partial<PreparedRequest> = {}) =>
    requester.send({ method: 'GET', url: `${server.url}/items`, params: {}, headers: {}, label: 'pull_requests', ...request });
  return { server, requester, sleeps, clock, send };
}

/** Answer from a script of handlers, the last one repeating. */
const script =
  (...steps: Handler[]): Handler =>
  (req, res, body, index) =>
    (steps[Math.min(index, steps.length - 1)] as Handler)(req, res, body, index);
const ok: Handler = (_req, res) => json(res, 200, { ok: true });

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

function expectNoSecret(error: ConnectorError): void {
  const everything = [error.message, error.format(), error.hint ?? '', JSON.stringify(error.context)].join('\n');
  expect(everything).not.toContain(TOKEN);
}

describe('createRequester: retries', () => {
  it('waits for Retry-After in seconds on 429, then succeeds', async () => {
    const t = await setup(script((_q, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '3' }), ok));
    const response = await t.send();
    expect(response.body).toEqual({ ok: true });
    expect(t.sleeps).toEqual([3000]);
    expect(t.requester.stats()).toMatchObject({ requests: 2, retries: 1, rateLimitWaits: 1 });
  });

  it('waits for Retry-After given as an HTTP date', async () => {
    const t = await setup(script((_q, res) => json(res, 429, {}, { 'retry-after': new Date(START + 7000).toUTCString() }), ok));
    await t.send();
    expect(t.sleeps).toEqual([7000]);
  });

  it('retries a burst of 5xx with backoff, then succeeds', async () => {
    const t = await setup(script((_q, res) => json(res, 503, {}), (_q, res) => json(res, 500, {}), (_q, res) => json(res, 502, {}), ok), {
      retry: { attempts: 5, backoff: 'exponential', base_ms: 100, max_ms: 10_000, jitter: 'none', max_total_wait_ms: 60_000 },
    });
    expect((await t.send()).status).toBe(200);
    expect(t.sleeps).toEqual([100, 200, 400]);
    expect(t.server.seen).toHaveLength(4);
  });

  it('stops at retry.attempts with HTTP_RETRIES_EXHAUSTED', async () => {
    const t = await setup((_q, res) => json(res, 500, { message: `boom ${TOKEN}` }), { retry: { attempts: 3, backoff: 'constant', base_ms: 10, max_ms: 100, jitter: 'none', max_total_wait_ms: 1000 } });
    const error = await failure(t.send());
    expect(error.code).toBe('HTTP_RETRIES_EXHAUSTED');
    expect(isHttpStatusError(error) && error.status).toBe(500);
    expect(error.message).toContain('gave up after 3 attempts');
    expect(t.server.seen).toHaveLength(3);
    expectNoSecret(error);
  });

  it('stops when the next wait would exceed max_total_wait_ms (RATE_LIMITED for 429)', async () => {
    const t = await setup((_q, res) => json(res, 429, {}, { 'retry-after': '40' }), {
      retry: { attempts: 5, backoff: 'exponential', base_ms: 100, max_ms: 60_000, jitter: 'full', max_total_wait_ms: 100_000 },
    });
    const error = await failure(t.send());
    expect(error.code).toBe('RATE_LIMITED');
    expect(isRateLimitedError(error) && error.retryAfterMs).toBe(40_000);
    expect(t.sleeps).toEqual([40_000, 40_000]);
    expect(t.server.seen).toHaveLength(3);
  });

  it('caps one Retry-After wait at retry.max_ms', async () => {
    const t = await setup(script((_q, res) => json(res, 429, {}, { 'retry-after': '3600' }), ok), { retry: { attempts: 3, backoff: 'exponential', base_ms: 100, max_ms: 5000, jitter: 'full', max_total_wait_ms: 60_000 } });
    await t.send();
    expect(t.sleeps).toEqual([5000]);
  });

  it('full jitter keeps every delay in [0, min(base * 2^n, max_ms)]', async () => {
    let seed = 42;
    const seeded = () => {
      // mulberry32: a tiny deterministic PRNG so the delays are reproducible.
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const t = await setup((_q, res) => json(res, 503, {}), { retry: { attempts: 8, backoff: 'exponential', base_ms: 100, max_ms: 2000, jitter: 'full', max_total_wait_ms: 1e9 } }, { random: seeded });
    await failure(t.send());
    expect(t.sleeps).toHaveLength(7);
    t.sleeps.forEach((delay, n) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(100 * 2 ** n, 2000));
    });
    expect(new Set(t.sleeps).size).toBeGreaterThan(1);
  });

  it('times out each attempt and reports HTTP_TIMEOUT after retries', async () => {
    const t = await setup((_q, res) => setTimeout(() => json(res, 200, {}), 500), { timeout_ms: 50, retry: { attempts: 2, backoff: 'constant', base_ms: 1, max_ms: 1, jitter: 'none', max_total_wait_ms: 100 } });
    const error = await failure(t.send());
    expect(error.code).toBe('HTTP_TIMEOUT');
    expect(error.message).toMatch(/timed out after 50 ms; gave up after 2 attempts/);
    expect(t.server.seen).toHaveLength(2);
  });

  it('a body that stalls after the headers still times out', async () => {
    const t = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    }, { timeout_ms: 50, retry: { attempts: 1, backoff: 'constant', base_ms: 1, max_ms: 1, jitter: 'none', max_total_wait_ms: 100 } });
    expect((await failure(t.send())).code).toBe('HTTP_TIMEOUT');
  });

  it('a body that trickles forever, with GCs under way, is retried then reported HTTP_TIMEOUT (it used to hang)', { timeout: 5000 }, async () => {
    const timers: NodeJS.Timeout[] = [];
    const t = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      timers.push(setInterval(() => void (res.destroyed || res.write(' ')), 20));
    }, { timeout_ms: 200, retry: { attempts: 3, backoff: 'constant', base_ms: 1, max_ms: 1, jitter: 'none', max_total_wait_ms: 100 } });
    const stopGc = collectRepeatedly(30);
    try {
      const error = await failure(t.send());
      expect(error.code).toBe('HTTP_TIMEOUT');
      expect(error.message).toMatch(/timed out after 200 ms; gave up after 3 attempts/);
      expect(t.server.seen).toHaveLength(3);
    } finally {
      stopGc();
      for (const timer of timers) clearInterval(timer);
    }
  });

  it('logs retries without secrets', async () => {
    const logged: unknown[] = [];
    const server = await startServer(script((_q, res) => json(res, 503, {}), ok));
    servers.push(server);
    const log = (obj: object | string, msg?: string) => void logged.push([obj, msg]);
    const requester = createRequester({
      requester: { url_base: server.url, timeout_ms: 2000 },
      auth: createAuthenticator({ type: 'api_key', inject_into: 'query', name: 'key', value: '{{ config.key }}' }, { scope: { config: { key: TOKEN } }, tokenKey: 'k', urlBase: server.url }),
      connectorName: 'github',
      connectionId: `c${++connection}`,
      scope: {},
      logger: { debug: log, info: log, warn: log, error: log },
      sleep: async () => undefined,
    });
    requesters.push(requester);
    await requester.send({ method: 'GET', url: `${server.url}/x`, params: { token: TOKEN }, headers: { 'X-Api-Token': TOKEN }, label: 'items' });
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
    expect(server.seen[0]?.url).toContain(TOKEN);
  });

  it('retries a reset connection, then succeeds; a permanent reset is HTTP_NETWORK', async () => {
    const reset: Handler = (req) => req.socket.destroy();
    const t = await setup(script(reset, reset, ok));
    expect((await t.send()).body).toEqual({ ok: true });
    expect(t.sleeps).toHaveLength(2);
    const broken = await setup(reset, { retry: { attempts: 2, backoff: 'constant', base_ms: 1, max_ms: 1, jitter: 'none', max_total_wait_ms: 100 } });
    expect((await failure(broken.send())).code).toBe('HTTP_NETWORK');
  });
});

describe('createRequester: response rules and defaults', () => {
  const rules: RequesterNode['on_response'] = [
    { when: 'status = 404', action: 'ignore' },
    { when: 'status = 409', action: 'fail', message: 'Repository {{ partition.repo }} is empty' },
    { when: "status = 403 and headers.`x-ratelimit-remaining` = '0'", action: 'rate_limited', wait_until: 'headers.`x-ratelimit-reset`' },
  ];

  it('ignore: the response is marked ignored with no body', async () => {
    const t = await setup((_q, res) => json(res, 404, { message: 'Not Found' }), { on_response: rules });
    const response = await t.send();
    expect(response).toMatchObject({ status: 404, ignored: true, body: undefined });
  });

  it('fail: the rule message is rendered with the request scope', async () => {
    const t = await setup((_q, res) => json(res, 409, { message: 'Git Repository is empty.' }), { on_response: rules });
    const error = await failure(t.send({ scope: { partition: { repo: 'acme/app' } } }));
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.message).toMatch(/^github: Repository acme\/app is empty \(409 Conflict from GET http:\/\/127\.0\.0\.1:\d+\/items\)$/);
  });

  it('rate_limited: waits until the reset header instant, without spending attempts', async () => {
    const reset = String(START / 1000 + 90);
    const limited: Handler = (_q, res) => json(res, 403, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    const t = await setup(script(limited, ok), { on_response: rules, retry: { attempts: 1, backoff: 'exponential', base_ms: 1, max_ms: 120_000, jitter: 'full', max_total_wait_ms: 600_000 } });
    expect((await t.send()).status).toBe(200);
    expect(t.sleeps).toEqual([90_000]);
  });

  it('401 names the credential to fix and never shows the token', async () => {
    const t = await setup((req, res) => json(res, 401, { message: 'Bad credentials', echo: req.headers.authorization }));
    const error = await failure(t.send());
    expect(error.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(error.message).toBe('github: the API answered 401 Unauthorized for pull_requests: check config "token" (it may be expired or lack a scope)');
    expect(t.server.seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expectNoSecret(error);
  });

  it('other 4xx: HTTP_STATUS with method, redacted URL and a body excerpt', async () => {
    const t = await setup((req, res) => json(res, 422, { message: 'Validation Failed', url: req.url }), {}, { auth: { type: 'api_key', inject_into: 'query', name: 'key', value: '{{ config.api_key }}' } });
    const error = await failure(t.send({ params: { per_page: '100', access_token: 'manifest-secret-value' } }));
    expect(error.code).toBe('HTTP_STATUS');
    expect(isHttpStatusError(error) && error.status).toBe(422);
    expect(error.message).toContain('422 Unprocessable Entity');
    expect(error.message).toContain('Validation Failed');
    expect(error.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/items\?per_page=100&access_token=\*\*\*/);
    expect(error.message).not.toContain('manifest-secret-value');
    expect(t.server.seen[0]?.url).toContain(`key=${TOKEN}`);
    expectNoSecret(error);
  });

  it('a body that is not JSON is HTTP_BODY', async () => {
    const t = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    expect((await failure(t.send())).code).toBe('HTTP_BODY');
  });

  it('GraphQL: errors in a 200 are GRAPHQL_ERRORS; RATE_LIMITED errors are waited out', async () => {
    const t = await setup((_q, res) => json(res, 200, { data: null, errors: [{ message: "Field 'x' doesn't exist" }, { message: 'second' }] }));
    const error = await failure(t.send({ method: 'POST', graphql: true, body: { query: '{ x }' } }));
    expect(error.code).toBe('GRAPHQL_ERRORS');
    expect(error.message).toContain("Field 'x' doesn't exist; second");

    const limited = await setup(script((_q, res) => json(res, 200, { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded' }] }, { 'retry-after': '12' }), (_q, res) => json(res, 200, { data: { viewer: { login: 'octocat' } } })));
    const response = await limited.send({ method: 'POST', graphql: true, body: { query: '{ viewer { login } }' } });
    expect(response.body).toEqual({ data: { viewer: { login: 'octocat' } } });
    expect(limited.sleeps).toEqual([12_000]);
  });

  it('sends what buildRequest prepared: JSON body, params on top of the URL query', async () => {
    const t = await setup((_q, res, body) => json(res, 200, { got: JSON.parse(body) as unknown }));
    const node: RequestNode = { method: 'POST', path: '/search?fixed=1', params: { q: '{{ config.q }}' }, body: { n: '{{ config.n }}' } };
    const prepared = await buildRequest({ url_base: t.server.url, timeout_ms: 1000 }, node, { config: { q: 'a b', n: 3 } });
    const response = await t.requester.send(prepared);
    expect(response.body).toEqual({ got: { n: 3 } });
    expect(t.server.seen[0]?.url).toBe('/search?fixed=1&q=a+b');
    expect(t.server.seen[0]?.headers['content-type']).toBe('application/json');
  });
});
