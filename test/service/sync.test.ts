import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import { auth, HOOKS_MANIFEST, hooksManifest, startService, tempDir } from './fixtures.js';
import { startLocalApi } from './local-api.js';

let tmp: ReturnType<typeof tempDir>;
let api: Server;
let base: string;
let requests = 0;
let release: (() => void) | undefined;

beforeEach(async () => {
  tmp = tempDir();
  requests = 0;
  // A local API answering like the provider: GET /issues → a JSON list. `hold` keeps a request open.
  api = createServer((req, res) => {
    requests++;
    const reply = () => {
      if (res.headersSent) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ id: 1, title: 'one' }, { id: 2, title: 'two ✨' }]));
    };
    if (process.env['HOLD_NEXT'] === '1') {
      process.env['HOLD_NEXT'] = '0';
      release = reply;
      return;
    }
    reply();
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterEach(async () => {
  release?.();
  release = undefined;
  api.closeAllConnections();
  await new Promise((resolve) => api.close(resolve));
  tmp.cleanup();
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function waitRun(ctx: Awaited<ReturnType<typeof startService>>, runId: string) {
  for (let i = 0; i < 750; i++) {
    const run = (await ctx.app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: auth })).json();
    if (run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('run did not finish');
}

describe('POST /api/connections/:id/sync', () => {
  it('runs the engine against the API, stores records by primary key, and reports the run and last sync', async () => {
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => base });
    const res = await ctx.app.inject({ method: 'POST', url: '/api/connections/acme/sync', headers: auth });
    expect(res.statusCode).toBe(202);
    const run = await waitRun(ctx, res.json().run_id);
    expect(run).toMatchObject({ status: 'succeeded', records: 2, connection: 'acme', trigger: 'api' });
    const records = (await ctx.app.inject({ method: 'GET', url: '/api/connections/acme/records/issues', headers: auth })).json();
    expect(records.records).toEqual([{ id: 1, title: 'one' }, { id: 2, title: 'two ✨' }]);
    const health = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.connectors.hooks.connections.acme).toMatchObject({ status: 'ok', breaker: 'closed', last_sync: { trigger: 'api', status: 'succeeded', records: 2 } });
    const metrics = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('gwi_sync_records_total{connection="acme",stream="issues"} 2');
    expect(metrics).toContain('gwi_circuit_breaker_state{connection="acme"} 0');
    await ctx.close();
  });

  it('never runs two syncs of one connection at once: a second request gets the running run', async () => {
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => base });
    process.env['HOLD_NEXT'] = '1';
    const first = (await ctx.app.inject({ method: 'POST', url: '/api/connections/acme/sync', headers: auth })).json();
    const second = (await ctx.app.inject({ method: 'POST', url: '/api/connections/acme/sync', headers: auth })).json();
    expect(first.started).toBe(true);
    expect(second).toEqual({ run_id: first.run_id, started: false });
    for (let i = 0; i < 100 && !release; i++) await new Promise((r) => setTimeout(r, 10));
    release!();
    expect(await waitRun(ctx, first.run_id)).toMatchObject({ status: 'succeeded' });
    expect(requests).toBe(1);
    await ctx.close();
  });

  it('a connection posted again while it syncs: the run finishes with the connector it started with, the next one uses the new config', async () => {
    // Two streams: the second one's request comes after the connection was posted again.
    const twoStreams = parseManifest(HOOKS_MANIFEST.replace('name: hooks', 'name: two').replace(
      `    map: '{ "id": id, "title": title, "repo": $partition.repo }'\n`,
      `    map: '{ "id": id, "title": title, "repo": $partition.repo }'\n  more:\n    primary_key: id\n    schema: { type: object }\n    request: { path: /issues }\n`,
    ), 'two.yaml');
    const ctx = await startService(tmp.dir, { background: false, manifests: [hooksManifest(), twoStreams], urlBaseOverride: () => base });
    ctx.service.putConnection({ id: 'both', connector: 'two', config: { webhook_secret: 'x' } }, 'api');
    process.env['HOLD_NEXT'] = '1';
    const first = (await ctx.app.inject({ method: 'POST', url: '/api/connections/both/sync', headers: auth })).json();
    for (let i = 0; i < 100 && !release; i++) await new Promise((r) => setTimeout(r, 10));
    const reposted = await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'both', connector: 'two', config: { webhook_secret: 'rotated' } } });
    expect(reposted.statusCode).toBe(200);
    release!();
    // Closing its connector under it failed the run ("The circuit has been shutdown").
    expect(await waitRun(ctx, first.run_id)).toMatchObject({ status: 'succeeded', records: 4, error: null });
    const next = (await ctx.app.inject({ method: 'POST', url: '/api/connections/both/sync', headers: auth })).json();
    expect(await waitRun(ctx, next.run_id)).toMatchObject({ status: 'succeeded' });
    await ctx.close();
  });
  it('a record without its primary key is left out and its stream reported, while the other records and streams are written; every failed stream is named', async () => {
    const api2 = await startLocalApi((req, res) => {
      res.writeHead(req.url?.startsWith('/broken') ? 403 : 200, { 'content-type': 'application/json' });
      res.end(req.url?.startsWith('/broken') ? '{"message":"forbidden"}' : JSON.stringify([{ id: 1, title: 'one' }, { id: null, title: 'no id' }, { id: 3, title: 'three' }]));
    });
    const streams = (names: Record<string, string>) =>
      Object.entries(names).map(([name, path]) => `  ${name}:\n    primary_key: id\n    schema: { type: object }\n    request: { path: ${path} }\n`).join('');
    const manifest = parseManifest(HOOKS_MANIFEST.replace('name: hooks', 'name: mixed').replace(
      `    map: '{ "id": id, "title": title, "repo": $partition.repo }'\n`,
      `    map: '{ "id": id, "title": title, "repo": $partition.repo }'\n${streams({ later: '/issues', broken: '/broken', broken_too: '/broken/too' })}`,
    ), 'mixed.yaml');
    const ctx = await startService(tmp.dir, { background: false, manifests: [hooksManifest(), manifest], urlBaseOverride: () => api2.base });
    try {
      ctx.service.putConnection({ id: 'mixed', connector: 'mixed', config: { webhook_secret: 'a-longer-secret' } }, 'api');
      const { run_id } = (await ctx.app.inject({ method: 'POST', url: '/api/connections/mixed/sync', headers: auth })).json();
      const run = await waitRun(ctx, run_id);
      expect(run).toMatchObject({ status: 'failed', records: 4 });
      const noKey = 'a record has no value for its primary key field "id" (the record was not stored)';
      expect(run.error).toMatch(new RegExp(`^4 streams failed: stream issues: ${escape(noKey)}; stream later: ${escape(noKey)}; stream broken: .*403.*; stream broken_too: .*403`));
      for (const stream of ['issues', 'later']) {
        const records = (await ctx.app.inject({ method: 'GET', url: `/api/connections/mixed/records/${stream}`, headers: auth })).json().records;
        expect(records.map((r: { id: number }) => r.id)).toEqual([1, 3]);
      }
    } finally {
      await ctx.close();
      await api2.close();
    }
  });
  it('retention deletes runs older than it, keeping each connection\'s latest', async () => {
    const DAY = 24 * 3_600_000;
    const now = 100 * DAY;
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => base, now: () => now, retentionMs: 7 * DAY });
    const old = ctx.service.store.createRun('acme', 'schedule', now - 9 * DAY);
    ctx.service.store.finishRun(old.id, 'succeeded', 2, null, now - 9 * DAY);
    const latest = ctx.service.store.createRun('acme', 'schedule', now - 8 * DAY);
    ctx.service.store.finishRun(latest.id, 'succeeded', 2, null, now - 8 * DAY);
    await ctx.service.retention.runOnce();
    expect(ctx.service.store.getRun(old.id)).toBeUndefined();
    expect(ctx.service.store.getRun(latest.id)).toMatchObject({ status: 'succeeded' });
    await ctx.close();
  });
  it('records a failed run with its error when the API is unreachable', async () => {
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => 'http://127.0.0.1:9' });
    const { run_id } = (await ctx.app.inject({ method: 'POST', url: '/api/connections/acme/sync', headers: auth })).json();
    const run = await waitRun(ctx, run_id);
    expect(run.status).toBe('failed');
    expect(run.error).toBeTruthy();
    expect(run.error).not.toContain('tok_abcdef');
    expect((await ctx.app.inject({ method: 'GET', url: '/health' })).json().connectors.hooks.connections.acme.status).not.toBe('ok');
    await ctx.close();
  });

  it('answers 404 for an unknown connection', async () => {
    const ctx = await startService(tmp.dir, { background: false });
    expect((await ctx.app.inject({ method: 'POST', url: '/api/connections/nope/sync', headers: auth })).statusCode).toBe(404);
    await ctx.close();
  });
});
