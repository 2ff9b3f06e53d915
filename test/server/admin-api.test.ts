import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, SECRET, signedDelivery, startService, tempDir } from '../service/fixtures.js';
import { startLocalApi, type LocalApi } from '../service/local-api.js';

/** The admin API's bodiless POSTs, its error replies (each with a hint) and its paging cursor. */

const ISSUES = Array.from({ length: 4 }, (_, i) => ({ id: 200 + i, title: `issue ${i}` }));
const JSON_TYPE = { 'content-type': 'application/json' };

let tmp: ReturnType<typeof tempDir>;
let api: LocalApi;
let ctx: Awaited<ReturnType<typeof startService>>;

beforeEach(async () => {
  tmp = tempDir();
  api = await startLocalApi((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ISSUES));
  });
  ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => api.base });
});
afterEach(async () => {
  await ctx.close();
  await api.close();
  tmp.cleanup();
});

const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string> = auth, payload?: string) =>
  ctx.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

async function deliver(count: number, connection = 'acme'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const d = signedDelivery();
    const r = await ctx.app.inject({ method: 'POST', url: `/webhooks/hooks/${connection}`, payload: d.body, headers: d.headers });
    expect(r.statusCode).toBe(202);
    ids.push(d.id);
  }
  return ids;
}

async function synced(): Promise<void> {
  const { run_id } = (await inject('POST', '/api/connections/acme/sync')).json();
  for (let i = 0; i < 500 && (await inject('GET', `/api/runs/${run_id}`)).json().status === 'running'; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('POSTs that take no body', () => {
  it('accept Content-Type: application/json with an empty body (sync, replay); POST /api/connections still needs one', async () => {
    const sync = await inject('POST', '/api/connections/acme/sync', { ...auth, ...JSON_TYPE }, '');
    expect(sync.statusCode, sync.body).toBe(202);
    const [id] = await deliver(1);
    const replay = await inject('POST', `/api/deliveries/${encodeURIComponent(id!)}/replay`, { ...auth, ...JSON_TYPE }, '');
    expect(replay.statusCode, replay.body).toBe(202);
    const create = await inject('POST', '/api/connections', { ...auth, ...JSON_TYPE }, '');
    expect(create.statusCode).toBe(400);
    expect(create.json().error).toMatchObject({ code: 'BAD_REQUEST', message: 'the body is empty' });
  });

  it('refuse a body that is not empty with 400 naming the route, whatever its type (it was ignored: {"full":true} to sync gave 202)', async () => {
    const [id] = await deliver(1);
    const replayUrl = `/api/deliveries/${encodeURIComponent(id!)}/replay`;
    const cases: Array<['POST' | 'DELETE', string, string, Record<string, string>, string]> = [
      ['POST', '/api/connections/acme/sync', 'POST /api/connections/:id/sync', JSON_TYPE, '{"full":true}'],
      ['POST', '/api/connections/acme/sync', 'POST /api/connections/:id/sync', { 'content-type': 'text/plain' }, 'full'],
      ['POST', '/api/connections/acme/sync', 'POST /api/connections/:id/sync', {}, 'full=1'],
      ['POST', replayUrl, 'POST /api/deliveries/:id/replay', JSON_TYPE, '{"x":1}'],
      ['POST', replayUrl, 'POST /api/deliveries/:id/replay', JSON_TYPE, 'null'],
      ['DELETE', '/api/connections/acme', 'DELETE /api/connections/:id', JSON_TYPE, '{}'],
    ];
    for (const [method, url, route, headers, payload] of cases) {
      const r = await inject(method, url, { ...auth, ...headers }, payload);
      expect({ url, payload, status: r.statusCode }).toEqual({ url, payload, status: 400 });
      expect(r.json().error).toEqual({ code: 'BAD_REQUEST', message: `${route} takes no body`, hint: expect.stringContaining('without a body') });
    }
    // Nothing was done: acme is still there, and an empty body of any type is still accepted.
    expect((await inject('GET', '/api/connections')).json().connections.map((c: { id: string }) => c.id)).toEqual(['acme']);
    expect((await inject('POST', replayUrl, { ...auth, 'content-type': 'text/plain' }, '')).statusCode).toBe(202);
    expect((await inject('POST', replayUrl, { ...auth, ...JSON_TYPE }, ' \n')).statusCode).toBe(202);
    // A route that takes a body still says which type to send.
    expect((await inject('POST', '/api/connections', { ...auth, 'content-type': 'text/plain' }, 'x')).json().error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type "text/plain" is not accepted here' });
  });
});

describe('admin error replies', () => {
  it('carry a hint: 401, 404 (run, connection, delivery, stream, route), 409 AMBIGUOUS, 400 for bad query values', async () => {
    ctx.service.putConnection({ id: 'acme2', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
    // The same delivery (same id) to two connections: replay must be told which.
    const d = signedDelivery();
    for (const connection of ['acme', 'acme2']) {
      expect((await ctx.app.inject({ method: 'POST', url: `/webhooks/hooks/${connection}`, payload: d.body, headers: d.headers })).statusCode).toBe(202);
    }
    const cases: Array<[number, string, 'GET' | 'POST', string, Record<string, string>?]> = [
      [401, 'UNAUTHORIZED', 'GET', '/api/connections', {}],
      [401, 'UNAUTHORIZED', 'GET', '/api/connections', { authorization: 'Bearer wrong' }],
      [404, 'NOT_FOUND', 'GET', '/api/runs/nope'],
      [404, 'NOT_FOUND', 'POST', '/api/connections/nope/sync'],
      [404, 'NOT_FOUND', 'GET', '/api/connections/nope/records/issues'],
      [404, 'NOT_FOUND', 'GET', '/api/connections/acme/records/nope'],
      [404, 'NOT_FOUND', 'POST', '/api/deliveries/nope/replay'],
      [404, 'NOT_FOUND', 'GET', '/api/nothing-here'],
      [409, 'AMBIGUOUS', 'POST', `/api/deliveries/${encodeURIComponent(d.id)}/replay`],
      [400, 'BAD_REQUEST', 'GET', '/api/deliveries?status=lost'],
      [400, 'BAD_REQUEST', 'GET', '/api/deliveries?limit=0'],
      [400, 'BAD_REQUEST', 'GET', '/api/deliveries?after=abc'],
      [400, 'BAD_REQUEST', 'GET', '/api/connections/acme/records/issues?limit=5000'],
      [400, 'BAD_REQUEST', 'GET', '/api/connections/acme/records/issues?after=-1'],
    ];
    for (const [status, code, method, url, headers] of cases) {
      const r = await inject(method, url, headers ?? auth);
      expect({ url, status: r.statusCode }).toEqual({ url, status });
      expect(r.json(), url).toEqual({ error: { code, message: expect.any(String), hint: expect.stringMatching(/\w{3}/) } });
    }
    // The AMBIGUOUS hint names a connection to pass.
    expect((await inject('POST', `/api/deliveries/${encodeURIComponent(d.id)}/replay`)).json().error.hint).toContain('?connection=acme');
  });
});

describe('the admin token', () => {
  it('is taken after the Bearer scheme in any case (RFC 7235), the token itself compared exactly', async () => {
    const token = auth.authorization.slice('Bearer '.length);
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const r = await inject('GET', '/api/connections', { authorization: `${scheme} ${token}` });
      expect({ scheme, status: r.statusCode }).toEqual({ scheme, status: 200 });
    }
    for (const authorization of [`bearer ${token.toUpperCase()}`, `bearer ${token}x`, `bearer ${token.slice(0, -1)}`, `bearer  ${token}`, `bearer${token}`, `Basic ${token}`, 'bearer', token]) {
      const r = await inject('GET', '/api/connections', { authorization });
      expect({ authorization, status: r.statusCode }).toEqual({ authorization, status: 401 });
      expect(r.headers['www-authenticate']).toBe('Bearer');
    }
  });
});

describe('where', () => {
  it('an error about a place in the request body says which (its location path), beside code, message and hint', async () => {
    const post = (body: object) => inject('POST', '/api/connections', { ...auth, ...JSON_TYPE }, JSON.stringify(body));
    const cases: Array<[object, string, string]> = [
      [{ id: 'x', connector: 'hooks', config: { webhook_secret: 's', repositories: ['a/b', { name: 'c/d' }] } }, 'CONFIG_INVALID', 'config.repositories.1'],
      [{ id: 'x', connector: 'hooks', config: { webhook_secret: 's', extra: 1 } }, 'CONFIG_INVALID', 'config.extra'],
      [{ id: 'x', connector: 'hooks', config: { webhook_secret: 's' }, schedule: 'every 0s' }, 'SCHEDULE_INVALID', 'schedule'],
    ];
    for (const [body, code, where] of cases) {
      const r = await post(body);
      expect({ where, status: r.statusCode }).toEqual({ where, status: 400 });
      expect(r.json()).toEqual({ error: { code, message: expect.any(String), hint: expect.any(String), where } });
    }
    // No place, no `where`.
    expect((await inject('GET', '/api/runs/nope')).json().error).not.toHaveProperty('where');
  });
});

describe('a known path with another method', () => {
  it('is 405 with an Allow header and our error shape, not 404; an unknown path stays 404', async () => {
    const cases: Array<['GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', string, string]> = [
      ['PUT', '/api/connections', 'GET, HEAD, POST'],
      ['GET', '/api/deliveries/x/replay?connection=acme', 'POST'],
      ['POST', '/api/connectors', 'GET, HEAD'],
      ['PATCH', '/api/connections/acme', 'DELETE'],
      ['GET', '/webhooks/hooks/acme', 'POST'],
      ['DELETE', '/health', 'GET, HEAD'],
    ];
    for (const [method, url, allow] of cases) {
      const r = await ctx.app.inject({ method, url, headers: auth });
      expect({ method, url, status: r.statusCode, allow: r.headers.allow }).toEqual({ method, url, status: 405, allow });
      expect(r.json()).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${url.split('?')[0]}`, hint: expect.stringContaining(`Use ${allow}`) } });
    }
    for (const [method, url] of [['PUT', '/api/nothing-here'], ['PUT', '/api/connectors/'], ['PUT', '/webhooks/hooks'], ['GET', '/api/connections/']] as const) {
      // (`/api/connections/` is not `/api/connections/:id` with an empty id.)
      const r = await ctx.app.inject({ method, url, headers: auth });
      expect({ url, status: r.statusCode, allow: r.headers.allow }).toEqual({ url, status: 404, allow: undefined });
    }
  });
});

describe('paging: an exactly full last page', () => {
  it('GET /api/deliveries: 4 deliveries, limit=2 gives one next, then a full page with next null', async () => {
    const ids = await deliver(4);
    const first = (await inject('GET', '/api/deliveries?limit=2')).json();
    expect(first.deliveries.map((x: { id: string }) => x.id)).toEqual(ids.slice(0, 2));
    expect(first.next).not.toBeNull();
    const second = (await inject('GET', `/api/deliveries?limit=2&after=${first.next}`)).json();
    expect(second.deliveries.map((x: { id: string }) => x.id)).toEqual(ids.slice(2));
    expect(second.next).toBeNull();
    expect((await inject('GET', '/api/deliveries?limit=4')).json().next).toBeNull();
  });

  it('GET /api/connections/:id/records/:stream: 4 records, limit=2 gives one next, then a full page with next null', async () => {
    await synced();
    const url = '/api/connections/acme/records/issues?limit=2';
    const first = (await inject('GET', url)).json();
    expect(first.records).toHaveLength(2);
    expect(first.next).not.toBeNull();
    const second = (await inject('GET', `${url}&after=${first.next}`)).json();
    expect([...first.records, ...second.records].map((r: { id: number }) => r.id).sort()).toEqual(ISSUES.map((i) => i.id));
    expect(second.next).toBeNull();
  });
});

describe('DELETE /api/connections/:id', () => {
  it('removes an API connection (204, then its webhooks 404), 404 for an unknown id, 401 without the token', async () => {
    expect((await inject('POST', '/api/connections', { ...auth, ...JSON_TYPE }, JSON.stringify({ id: 'temp', connector: 'hooks', config: { webhook_secret: SECRET } }))).statusCode).toBe(201);
    const removed = await inject('DELETE', '/api/connections/temp');
    expect([removed.statusCode, removed.body]).toEqual([204, '']);
    expect((await inject('GET', '/api/connections')).json().connections.map((c: { id: string }) => c.id)).toEqual(['acme']);
    const d = signedDelivery();
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/temp', payload: d.body, headers: d.headers })).statusCode).toBe(404);
    const again = await inject('DELETE', '/api/connections/temp');
    expect([again.statusCode, again.json().error]).toEqual([404, { code: 'NOT_FOUND', message: 'no connection temp', hint: expect.stringContaining('GET /api/connections') }]);
    expect((await inject('DELETE', '/api/connections/temp', {})).statusCode).toBe(401);
  });
});
