import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalBus } from '../../runtime/bus/local-bus.js';
import { createSecretBox } from '../../runtime/crypto/index.js';
import { parseManifest } from '../../runtime/manifest/index.js';
import { createRecordPipeline } from '../../runtime/records/index.js';
import { createSyncRunner } from '../../runtime/service/sync-runner.js';
import { openSqliteStore } from '../../runtime/store/index.js';
import { createConnector } from '../../runtime/sync/index.js';
import { auth, HOOKS_MANIFEST, hooksManifest, signedDelivery, startService, tempDir, TEST_ENV } from './fixtures.js';
import { startLocalApi, type LocalApi } from './local-api.js';

/**
 * Shutdown never waits on an API: a sync whose request is never answered is aborted when the
 * service closes (or, if the abort cannot reach it, given up on after a deadline), and its run is
 * recorded as failed "interrupted by shutdown" before the database closes.
 */

// Requests wait for ten minutes and are never retried: only the shutdown can end this sync.
const STUCK_MANIFEST = HOOKS_MANIFEST.replace('name: hooks', 'name: stuck').replace(
  'url_base: "http://127.0.0.1:9"',
  'url_base: "http://127.0.0.1:9"\n  timeout_ms: 600000\n  retry: { attempts: 1 }',
);

let tmp: ReturnType<typeof tempDir>;
let api: LocalApi;
let base: string;
let waiting: IncomingMessage[];

beforeEach(async () => {
  tmp = tempDir();
  waiting = [];
  // An API that accepts requests and never answers them.
  api = await startLocalApi((req) => void waiting.push(req));
  base = api.base;
});
afterEach(async () => {
  await api.close();
  tmp.cleanup();
});

async function untilRequested(): Promise<void> {
  for (let i = 0; i < 500 && waiting.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(waiting.length).toBeGreaterThan(0);
}

describe('shutdown with a sync in progress', () => {
  it('service.close() aborts a sync whose API never answers and records the run as interrupted', async () => {
    const manifest = parseManifest(STUCK_MANIFEST, 'stuck.yaml');
    const ctx = await startService(tmp.dir, { background: false, manifests: [hooksManifest(), manifest], urlBaseOverride: () => base });
    ctx.service.putConnection({ id: 'slow', connector: 'stuck', config: { webhook_secret: 'x' } }, 'api');
    const res = await ctx.app.inject({ method: 'POST', url: '/api/connections/slow/sync', headers: auth });
    expect(res.statusCode).toBe(202);
    const runId = res.json().run_id as string;
    await untilRequested();

    // Without the abort this waits for the 10-minute request timeout (the test times out).
    await ctx.close();

    const store = await openSqliteStore({ file: join(tmp.dir, 'gwi.db'), secretBox: createSecretBox(tmp.dir, TEST_ENV), inbox: 'inline' });
    try {
      // Recorded by the shutdown itself, not by the next start's clean-up ("interrupted by a restart").
      expect(store.getRun(runId)).toMatchObject({ status: 'failed', error: 'interrupted by shutdown', trigger: 'api' });
      expect(store.getRun(runId)?.finished_at).toBeTruthy();
    } finally {
      await store.close();
    }
  }, 20_000);

  it('stop() gives up on a run the abort cannot reach after its deadline, marks it failed and logs it', async () => {
    const manifest = parseManifest(STUCK_MANIFEST, 'stuck.yaml');
    const store = await openSqliteStore({ file: join(tmp.dir, 'gwi.db'), secretBox: createSecretBox(tmp.dir, TEST_ENV), inbox: 'inline' });
    // A connector opened WITHOUT the runner's signal: stop() cannot abort its request.
    const connector = createConnector({ manifest, config: { webhook_secret: 'x' }, connectionId: 'deaf', urlBaseOverride: base });
    const logged: Array<{ obj: object | string; msg?: string }> = [];
    const log = (obj: object | string, msg?: string) => void logged.push({ obj, ...(msg === undefined ? {} : { msg }) });
    const runner = createSyncRunner({
      store, bus: createLocalBus(), stopTimeoutMs: 50,
      logger: { debug: log, info: log, warn: log, error: log },
      target: () => ({ connector: 'stuck', open: async () => connector, pipelineFor: (name) => createRecordPipeline(manifest.node.streams[name]!, name) }),
    });
    const { run, done } = runner.start('deaf', 'schedule');
    await untilRequested();

    // Without the deadline this never resolves (the request waits ten minutes; the test times out).
    await runner.stop();
    await done; // settled too, so a scheduler waiting on it is released
    expect(runner.isRunning('deaf')).toBe(false);
    expect(store.getRun(run.id)).toMatchObject({ status: 'failed', error: 'interrupted by shutdown', trigger: 'schedule' });
    expect(logged.some((l) => l.msg?.includes('interrupted by shutdown'))).toBe(true);
    // Stopped, it starts no run (one would only be aborted at once and recorded failed).
    expect(() => runner.start('deaf', 'api')).toThrow(expect.objectContaining({ code: 'SHUTTING_DOWN' }));

    // The store can close now; when the request finally fails, the abandoned run writes nothing more.
    await store.close();
    api.server.closeAllConnections();
    await connector.close();
  }, 20_000);

  it('stopWork() (while the HTTP server still finishes its requests) aborts the sync and starts no scheduled one; webhooks are still stored', async () => {
    const manifest = parseManifest(STUCK_MANIFEST, 'stuck.yaml');
    const ctx = await startService(tmp.dir, { manifests: [hooksManifest(), manifest], urlBaseOverride: () => base });
    ctx.service.putConnection({ id: 'every-second', connector: 'stuck', config: { webhook_secret: 'x' }, schedule: 'every 1s' }, 'api');
    await untilRequested();
    await ctx.service.stopWork();
    const runs = () => ctx.service.store.lastRun('every-second');
    const aborted = runs()!;
    expect(aborted).toMatchObject({ status: 'failed', error: 'interrupted by shutdown', trigger: 'schedule' });
    // A second later the schedule would have started another run: it does not.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(runs()!.id).toBe(aborted.id);
    expect(waiting).toHaveLength(1);
    const sync = await ctx.app.inject({ method: 'POST', url: '/api/connections/every-second/sync', headers: auth });
    expect(sync.statusCode).toBe(503);
    expect(sync.json()).toMatchObject({ error: { code: 'SHUTTING_DOWN' } });
    const d = signedDelivery();
    const hook = await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', headers: d.headers, payload: d.body });
    expect(hook.statusCode).toBe(202);
    await ctx.close();
  }, 20_000);
});
