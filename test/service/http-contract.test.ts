import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, SECRET, signedDelivery, startService, tempDir } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
let ctx: Awaited<ReturnType<typeof startService>>;

beforeEach(async () => {
  tmp = tempDir();
  ctx = await startService(tmp.dir, { background: false });
});
afterEach(async () => {
  await ctx.close();
  tmp.cleanup();
});

/** Bad input is the sender's fault: a 4xx, never a 5xx (which would also make providers retry it). */
function expectClientError(status: number): void {
  expect(status, 'a 4xx').toBeGreaterThanOrEqual(400);
  expect(status, 'a 4xx').toBeLessThan(500);
}

const post = (d: { body: Buffer; headers: Record<string, string> }, url = '/webhooks/hooks/acme') => ctx.app.inject({ method: 'POST', url, payload: d.body, headers: d.headers });

describe('POST /webhooks/:connector/:connection (fastify.inject)', () => {
  it('answers 202 {id, duplicate:false} after storing, then 200 duplicate:true, and stores once', async () => {
    const d = signedDelivery();
    const first = await post(d);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ id: d.id, duplicate: false });
    const again = await post(d);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id: d.id, duplicate: true });
    expect(ctx.service.store.listDeliveries({ limit: 10 })).toHaveLength(1);
  });
  it('stores concurrent duplicates once', async () => {
    const d = signedDelivery();
    const replies = await Promise.all(Array.from({ length: 20 }, () => post(d)));
    expect(replies.filter((r) => r.statusCode === 202)).toHaveLength(1);
    expect(replies.filter((r) => r.statusCode === 200)).toHaveLength(19);
    expect(ctx.service.store.listDeliveries({ limit: 100 })).toHaveLength(1);
  });
  it('accepts a delivery signed with the previous secret (rotation)', async () => {
    expect((await post(signedDelivery({ secret: 'previous-secret' }))).statusCode).toBe(202);
  });
  it('accepts form-encoded payload= bodies as GitHub sends them', async () => {
    const body = Buffer.from('payload=' + encodeURIComponent(JSON.stringify({ action: 'opened', issue: { id: 5, title: 'ünï 🚀' }, repository: { full_name: 'a/b' } })));
    const d = signedDelivery({ body });
    const r = await post({ body, headers: { ...d.headers, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.statusCode).toBe(202);
  });
  it('answers 401 for a bad signature, a tampered body or a wrong secret', async () => {
    const d = signedDelivery();
    expect((await post({ body: d.body, headers: { ...d.headers, 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) } })).statusCode).toBe(401);
    expect((await post({ body: Buffer.concat([d.body, Buffer.from(' ')]), headers: d.headers })).statusCode).toBe(401);
    expect((await post(signedDelivery({ secret: 'wrong' }))).statusCode).toBe(401);
    expect((await post({ body: d.body, headers: { ...d.headers, 'x-hub-signature-256': 'sha256=short' } })).statusCode).toBe(401);
    expect(ctx.service.store.listDeliveries({ limit: 10 })).toHaveLength(0);
  });
  it('answers 400 for a missing signature header, malformed JSON or a missing delivery id', async () => {
    const d = signedDelivery();
    const { 'x-hub-signature-256': _omit, ...unsigned } = d.headers;
    expect((await post({ body: d.body, headers: unsigned })).statusCode).toBe(400);
    const bad = signedDelivery({ body: Buffer.from('{"action": "opened", ') });
    const r = await post(bad);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'WEBHOOK_BODY', message: expect.stringMatching(/^the body is not valid JSON: /) });
    expect(await ctx.service.store.findDeliveries(bad.headers['x-github-hook-id'] + ':' + bad.headers['x-github-delivery'], [{ connector: 'hooks', connection: 'acme' }])).toEqual([]);
    const { 'x-github-delivery': _d, ...noId } = d.headers;
    expect((await post({ body: d.body, headers: noId })).statusCode).toBe(400);
  });
  it('answers 413 above the connector’s max_body_bytes', async () => {
    const big = signedDelivery({ body: Buffer.from(JSON.stringify({ pad: 'x'.repeat(1_100_000) })) });
    const r = await post(big);
    expect(r.statusCode).toBe(413);
  });
  it('answers 404 for an unknown connector or connection', async () => {
    const d = signedDelivery();
    expect((await post(d, '/webhooks/nope/acme')).statusCode).toBe(404);
    expect((await post(d, '/webhooks/hooks/nope')).statusCode).toBe(404);
  });
  it('answers 503 when the store is unavailable', async () => {
    await ctx.service.store.close();
    const r = await post(signedDelivery());
    expect(r.statusCode).toBe(503);
    expect(r.json().error.code).toBe('STORE_UNAVAILABLE');
    expect((await ctx.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(503);
  });
});

describe('admin API', () => {
  it('refuses requests without the bearer token', async () => {
    expect((await ctx.app.inject({ method: 'GET', url: '/api/connections' })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/connections', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
  });
  it('lists connectors and connections without secrets', async () => {
    const connectors = (await ctx.app.inject({ method: 'GET', url: '/api/connectors', headers: auth })).json();
    expect(connectors.connectors[0]).toMatchObject({ name: 'hooks', streams: ['issues'], webhooks: true, events: ['issues'] });
    const res = await ctx.app.inject({ method: 'GET', url: '/api/connections', headers: auth });
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain('tok_abcdef');
    expect(res.json().connections[0]).toMatchObject({ id: 'acme', connector: 'hooks', config: { repositories: [] }, secrets: ['token', 'webhook_secret', 'old_webhook_secret'] });
  });
  it('creates a connection validated against the spec, and refuses bad ones with 400', async () => {
    const ok = await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'second', connector: 'hooks', config: { webhook_secret: 's2' }, schedule: 'every 1h' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.body).not.toContain('s2"');
    const missing = await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'third', connector: 'hooks', config: {} } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('CONFIG_INVALID');
    expect((await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'Bad Id', connector: 'hooks', config: {} } })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'x', connector: 'hooks', config: { webhook_secret: 's' }, schedule: 'whenever' } })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'x', connector: 'unknown', config: {} } })).statusCode).toBe(400);
  });
  it('lists deliveries with filters and a cursor, replays them, and lists records', async () => {
    for (let i = 0; i < 3; i++) await post(signedDelivery({ issueId: 100 + i }));
    const page1 = (await ctx.app.inject({ method: 'GET', url: '/api/deliveries?connection=acme&status=pending&limit=2', headers: auth })).json();
    expect(page1.deliveries).toHaveLength(2);
    expect(Object.keys(page1.deliveries[0]).sort()).toEqual(['attempts', 'connection', 'connector', 'error', 'event', 'id', 'next_attempt_at', 'received_at', 'status']);
    const page2 = (await ctx.app.inject({ method: 'GET', url: `/api/deliveries?limit=2&after=${page1.next}`, headers: auth })).json();
    expect(page2).toMatchObject({ next: null });
    expect(page2.deliveries).toHaveLength(1);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/deliveries?status=weird', headers: auth })).statusCode).toBe(400);

    expect(await ctx.service.dispatcher.drainOnce()).toBe(3);
    const records = (await ctx.app.inject({ method: 'GET', url: '/api/connections/acme/records/issues?limit=10', headers: auth })).json();
    expect(records.records).toHaveLength(3);
    expect(records.records[0]).toMatchObject({ id: 100, repo: 'acme/api' });
    const id = page1.deliveries[0].id;
    const replay = await ctx.app.inject({ method: 'POST', url: `/api/deliveries/${encodeURIComponent(id)}/replay`, headers: auth });
    expect(replay.statusCode).toBe(202);
    expect((await ctx.service.store.findDeliveries(id, [{ connector: 'hooks', connection: 'acme' }]))[0]).toMatchObject({ status: 'pending' });
    expect((await ctx.app.inject({ method: 'POST', url: '/api/deliveries/nope/replay', headers: auth })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/connections/acme/records/nope', headers: auth })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/runs/nope', headers: auth })).statusCode).toBe(404);
  });
  it('replays a delivery id that two connections received only with ?connection=, and answers 409 AMBIGUOUS without', async () => {
    ctx.service.putConnection({ id: 'second', connector: 'hooks', config: { webhook_secret: 's2' } }, 'api');
    const d = signedDelivery();
    const twin = signedDelivery({ id: d.headers['x-github-delivery'], body: d.body, secret: 's2' });
    expect((await post(d)).statusCode).toBe(202);
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/second', payload: twin.body, headers: twin.headers })).statusCode).toBe(202);
    const url = `/api/deliveries/${encodeURIComponent(d.id)}/replay`;
    const ambiguous = await ctx.app.inject({ method: 'POST', url, headers: auth });
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json().error).toMatchObject({ code: 'AMBIGUOUS' });
    expect(ambiguous.json().error.message).toMatch(/acme, second|second, acme/);
    const scoped = await ctx.app.inject({ method: 'POST', url: `${url}?connection=second`, headers: auth });
    expect(scoped.statusCode).toBe(202);
    expect(scoped.json()).toMatchObject({ id: d.id, connection: 'second', status: 'pending' });
    expect((await ctx.app.inject({ method: 'POST', url: `${url}?connection=nope`, headers: auth })).statusCode).toBe(404);
  });
});

describe('health and metrics', () => {
  it('reports health per connector and connection, and Prometheus metrics', async () => {
    await post(signedDelivery());
    await post(signedDelivery({ secret: 'wrong' }));
    expect((await post(signedDelivery(), '/webhooks/hooks/no-such-connection')).statusCode).toBe(404);
    expect((await post(signedDelivery(), '/webhooks/nosuchconnector/acme')).statusCode).toBe(404);
    expect((await post(signedDelivery(), '/webhooks/othername/acme')).statusCode).toBe(404);
    const health = await ctx.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', store: 'ok', connectors: { hooks: { status: 'ok', connections: { acme: { status: 'ok', breaker: null, last_sync: null } } } } });
    const metrics = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('gwi_webhook_deliveries_total{connector="hooks",outcome="accepted"} 1');
    expect(metrics.body).toContain('gwi_webhook_deliveries_total{connector="hooks",outcome="unauthorized"} 1');
    // A wrong URL is counted (an alert on not_found finds it); names nobody configured share one label.
    expect(metrics.body).toContain('gwi_webhook_deliveries_total{connector="hooks",outcome="not_found"} 1');
    expect(metrics.body).toContain('gwi_webhook_deliveries_total{connector="(unknown)",outcome="not_found"} 2');
    expect(metrics.body).toContain('gwi_webhook_queue_depth{status="pending"} 1');
    expect(metrics.body).toContain('gwi_webhook_ingest_seconds_bucket');
    // The time to a durable answer: the accepted delivery, not the refused one.
    expect(metrics.body).toContain('gwi_webhook_ingest_seconds_count{connector="hooks"} 1\n');
  });
});

describe('a real listening server', () => {
  // Over TCP, webhook posts skip Fastify's router (runtime/server/http-server.ts) and reach the same
  // receiver the route above hands its raw request to: the answers must be the route's.
  it('answers webhooks over TCP exactly as the route does, and leaves other requests to Fastify', async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
    const d = signedDelivery();
    const first = await fetch(`${base}/webhooks/hooks/acme?from=test`, { method: 'POST', body: d.body, headers: d.headers });
    expect([first.status, first.headers.get('content-type'), await first.json()]).toEqual([202, 'application/json; charset=utf-8', { id: d.id, duplicate: false }]);
    const again = await fetch(`${base}/webhooks/hooks/acme`, { method: 'POST', body: d.body, headers: d.headers });
    expect([again.status, await again.json()]).toEqual([200, { id: d.id, duplicate: true }]);
    expect((await fetch(`${base}/webhooks/hooks/nope`, { method: 'POST', body: d.body, headers: d.headers })).status).toBe(404);
    // Not a webhook post, or not a path the receiver can decode: Fastify answers.
    const get = await fetch(`${base}/webhooks/hooks/acme`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expectClientError((await fetch(`${base}/webhooks/%E0%A4%A/acme`, { method: 'POST', body: d.body, headers: d.headers })).status);
    expect(ctx.service.store.listDeliveries({ limit: 10 })).toHaveLength(1);
  });
  it('refuses a body streamed past the size limit with 413 and stores nothing', async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = ctx.app.server.address() as AddressInfo;
    const d = signedDelivery();
    const status = await new Promise<number>((resolve, reject) => {
      // No Content-Length (chunked), so the limit can only be noticed while reading.
      const req = httpRequest({ host: '127.0.0.1', port, path: '/webhooks/hooks/acme', method: 'POST', headers: { ...d.headers, 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1 << 20, 'x');
      for (let sent = 0; sent <= ctx.service.maxBodyBytes('hooks'); sent += chunk.length) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
    expect(ctx.service.store.listDeliveries({ limit: 10 })).toHaveLength(0);
    expect((await ctx.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('gwi_webhook_deliveries_total{connector="hooks",outcome="too_large"} 1');
  });
  it('serves signed deliveries over TCP and keeps serving after bad input', async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = ctx.app.server.address() as AddressInfo;
    const send = (body: Buffer | string, headers: Record<string, string>, path = '/webhooks/hooks/acme') =>
      new Promise<number>((resolve, reject) => {
        let status = 0;
        const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
          status = res.statusCode ?? 0;
          res.resume();
          res.on('end', () => resolve(status));
        });
        // The server may answer (413, 431) and close before the client has sent everything.
        req.on('error', (error) => (status ? resolve(status) : reject(new Error(`${error.message} (${JSON.stringify(headers).slice(0, 80)})`))));
        req.end(body);
      });
    const d = signedDelivery();
    expect(await send(d.body, d.headers)).toBe(202);
    // Random bytes, signed and unsigned.
    const noise = randomBytes(4096);
    expectClientError(await send(noise, { 'content-type': 'application/octet-stream' }));
    const signedNoise = 'sha256=' + createHmac('sha256', SECRET).update(noise).digest('hex');
    expect(await send(noise, { ...d.headers, 'x-github-delivery': 'noise', 'x-hub-signature-256': signedNoise })).toBe(400);
    // Truncated JSON, signed.
    const truncated = d.body.subarray(0, 10);
    expect(await send(truncated, { ...d.headers, 'x-github-delivery': 'trunc', 'x-hub-signature-256': 'sha256=' + createHmac('sha256', SECRET).update(truncated).digest('hex') })).toBe(400);
    // Huge headers: Node refuses them before the route (431).
    const huge = await send('{}', { 'content-type': 'application/json', 'x-filler': 'x'.repeat(20_000) }).catch(() => 431);
    expect(huge).toBe(431);
    // No content type at all.
    expect(await send(d.body, { 'x-hub-signature-256': 'sha256=00' })).toBe(401);
    // Content-Length over the limit: refused early.
    expect(await send(Buffer.alloc(1_100_000, 'x'), { ...d.headers, 'x-github-delivery': 'big' })).toBe(413);
    // Still serving.
    const again = signedDelivery();
    expect(await send(again.body, again.headers)).toBe(202);
  });
});
