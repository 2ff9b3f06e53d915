import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createThreadDispatcher } from './dispatcher-thread.js';
import { loadManifest } from '../manifest/index.js';
import { createSqliteStore, type Store } from '../store/index.js';
import { HOOKS_MANIFEST, SECRET, signedDelivery, startService, tempDir } from '../../test/service/fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('dispatcher on its own thread', () => {
  it('maps deliveries with the manifest loaded again in the thread, settles through the inbox writer, counts in the HTTP thread’s metrics', async () => {
    const file = join(tmp.dir, 'hooks.yaml');
    writeFileSync(file, HOOKS_MANIFEST);
    const ctx = await startService(join(tmp.dir, 'data'), { manifests: [await loadManifest(file)], background: false, dispatcherThread: true });
    const send = (d: ReturnType<typeof signedDelivery>) => ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers });
    expect((await send(signedDelivery({ issueId: 1, title: 'first' }))).statusCode).toBe(202);
    expect((await send(signedDelivery({ issueId: 1, title: 'first, edited 🚀' }))).statusCode).toBe(202);
    expect((await send(signedDelivery({ issueId: 2, title: 'ignored', action: 'ignored' }))).statusCode).toBe(202);
    expect(await ctx.service.dispatcher.drainOnce()).toBe(3);
    expect(await ctx.service.dispatcher.drainOnce()).toBe(0);
    expect(ctx.service.store.listRecords('acme', 'issues', 10).map((r) => r.data)).toEqual([{ id: 1, title: 'first, edited 🚀', repo: 'acme/api' }]);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 3, pending: 0 });
    expect(await ctx.service.metrics.registry.getSingleMetricAsString('gwi_webhook_dispatch_total')).toContain('result="done"} 3');
    await ctx.close();
  });

  it('writes the records of a delivery that made thousands through the inbox writer in transactions of their own', async () => {
    const file = join(tmp.dir, 'hooks.yaml');
    writeFileSync(file, HOOKS_MANIFEST.replace('record: issue', `record: "[1..2500].{ 'id': $, 'title': 'fan-out' }"`));
    const ctx = await startService(join(tmp.dir, 'data'), { manifests: [await loadManifest(file)], background: false, dispatcherThread: true });
    const d = signedDelivery({ issueId: 1 });
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers })).statusCode).toBe(202);
    expect(await ctx.service.dispatcher.drainOnce()).toBe(1);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 1 });
    expect(ctx.service.store.listRecords('acme', 'issues', 5_000)).toHaveLength(2500);
    await ctx.close();
  });

  it('forgets a removed connection: its deliveries left in the inbox fail as those of an unknown connection', async () => {
    const file = join(tmp.dir, 'hooks.yaml');
    writeFileSync(file, HOOKS_MANIFEST);
    const ctx = await startService(join(tmp.dir, 'data'), { manifests: [await loadManifest(file)], background: false, dispatcherThread: true });
    const d = signedDelivery({ issueId: 9 });
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers })).statusCode).toBe(202);
    expect(ctx.service.removeConnection('acme')).toBe('removed');
    expect(await ctx.service.dispatcher.drainOnce()).toBe(1);
    expect(ctx.service.store.listRecords('acme', 'issues', 10)).toEqual([]);
    expect(ctx.service.store.listDeliveries({ limit: 10 })[0]).toMatchObject({ status: 'failed', error: 'connection acme is not configured any more' });
    await ctx.close();
  });

  /** A store of our own beside a thread of our own: the test decides what the thread is told, and when. */
  function storeAndManifest() {
    const file = join(tmp.dir, 'hooks.yaml');
    writeFileSync(file, HOOKS_MANIFEST);
    const dbFile = join(tmp.dir, 'gwi.db');
    const store = createSqliteStore({ file: dbFile, secretBox: { seal: (s) => s, open: (s) => s }, inbox: 'inline' });
    const deliver = (connection: string, issueId: number) => {
      const d = signedDelivery({ issueId });
      return store.insertDelivery({ connector: 'hooks', connection, deliveryId: d.id, event: 'issues', headers: d.headers, body: d.body, contentType: 'application/json', receivedAt: Date.now() });
    };
    const only = (s: Store) => s.listDeliveries({ limit: 10 })[0];
    return { file, dbFile, store, deliver, only };
  }
  const fresh = { id: 'fresh', connector: 'hooks', config: { webhook_secret: SECRET }, secrets: [SECRET] };

  it('applies a connection posted just after start before it maps a delivery stored after that (one attempt is not spent on it)', async () => {
    const { file, dbFile, store, deliver, only } = storeAndManifest();
    const thread = createThreadDispatcher({ dbFile, manifests: [await loadManifest(file)], store, maxAttempts: 1, pollMs: 20 });
    // The order `serve` had: start, then a connection posted, then its first webhook stored, all while
    // the thread may still be loading its manifests. The connection is not in the store's table, so
    // only the order of the thread's reads can map this delivery (before the fix: dead, "connection
    // fresh is not configured any more", the first pass reading it before the connection message).
    thread.start();
    thread.setConnection(fresh);
    await deliver('fresh', 7);
    thread.wake();
    await vi.waitFor(() => expect(only(store)?.status).not.toBe('pending'), { timeout: 20_000, interval: 20 });
    expect(only(store)).toMatchObject({ status: 'done', attempts: 1, error: null }); // the attempt that mapped it
    expect(store.listRecords('fresh', 'issues', 10).map((r) => r.data)).toEqual([{ id: 7, title: expect.any(String), repo: 'acme/api' }]);
    await thread.stop();
    await store.close();
  });

  it('leaves the delivery of a connection it does not know pending, attempts unchanged, while the store has the connection; ends it once removed', async () => {
    const { file, dbFile, store, deliver, only } = storeAndManifest();
    // Its secret sealed, as every real connection's is: the thread's store cannot open it, and must not need to.
    store.saveConnection({ ...fresh, schedule: null, source: 'api' }, [['webhook_secret']]);
    await deliver('fresh', 8);
    // waitMs 0: a waiting delivery is due again at once (the deferral itself: test/service/dispatcher.test.ts).
    const thread = createThreadDispatcher({ dbFile, manifests: [await loadManifest(file)], store, maxAttempts: 1, waitMs: 0 });
    // Stored but never posted to the thread (a connection that does not run, or not yet): it waits.
    expect(await thread.drainOnce()).toBe(0);
    expect(await thread.drainOnce()).toBe(0);
    expect(only(store)).toMatchObject({ status: 'pending', attempts: 0, error: null });
    thread.setConnection(fresh);
    expect(await thread.drainOnce()).toBe(1);
    expect(only(store)).toMatchObject({ status: 'done', attempts: 1 }); // the attempt that mapped it

    // Removed (from the store, then from the thread): what is left of it ends as today.
    store.deleteConnection('fresh');
    thread.removeConnection('fresh');
    await deliver('fresh', 9);
    expect(await thread.drainOnce()).toBe(1);
    expect(store.listDeliveries({ limit: 10, status: 'dead' })).toMatchObject([{ attempts: 1, error: 'connection fresh is not configured any more' }]);
    await thread.stop();
    await store.close();
  });

  it('a delivery whose mapping kills the thread (out of memory) is counted as an attempt each time, ends dead with the reason, and the others are mapped', async () => {
    const { dbFile, store, deliver } = storeAndManifest();
    // One event makes three million records: more than the thread's heap holds.
    const file = join(tmp.dir, 'bomb.yaml');
    writeFileSync(file, HOOKS_MANIFEST.replace('record: issue', `record: "action = 'bomb' ? [1..3000000].{ 'id': $, 'title': 'x' & $ } : issue"`));
    // Not first in its batch: the delivery mapped before it is not blamed, nor lost.
    await deliver('fresh', 11);
    const bomb = signedDelivery({ action: 'bomb' });
    await store.insertDelivery({ connector: 'hooks', connection: 'fresh', deliveryId: bomb.id, event: 'issues', headers: bomb.headers, body: bomb.body, contentType: 'application/json', receivedAt: Date.now() });
    await deliver('fresh', 12);
    const errors: string[] = [];
    const log = (obj: object | string, msg?: string) => void (typeof msg === 'string' && errors.push(msg));
    const thread = createThreadDispatcher({
      dbFile, manifests: [await loadManifest(file)], store, maxAttempts: 2, pollMs: 20, restartMs: 20, backoff: { baseMs: 10 },
      resourceLimits: { maxOldGenerationSizeMb: 128 }, logger: { debug: () => {}, info: () => {}, warn: () => {}, error: log },
    });
    // A manifest file edited while the service runs: a thread started again still maps with what the service loaded.
    writeFileSync(file, 'name: [this is not a manifest');
    thread.setConnection(fresh);
    thread.start();
    thread.wake();
    await vi.waitFor(() => expect(store.deliveryCounts()).toMatchObject({ dead: 1, done: 2 }), { timeout: 60_000, interval: 50 });
    expect(store.listDeliveries({ limit: 10, status: 'dead' })).toEqual([
      expect.objectContaining({ id: bomb.id, attempts: 2, error: expect.stringMatching(/^the dispatcher thread stopped while this delivery was mapped or its records written \(.*memory.*\); a `record` that selects fewer records/) }),
    ]);
    expect(store.listRecords('fresh', 'issues', 10).map((r) => r.data.id)).toEqual([11, 12]);
    expect(errors.filter((msg) => msg.startsWith('the dispatcher thread stopped'))).toEqual([
      expect.stringContaining(`while delivery ${bomb.id} of connection fresh (attempt 1 of 2) was mapped or its records written`),
      expect.stringContaining(`while delivery ${bomb.id} of connection fresh (attempt 2 of 2, now dead) was mapped or its records written`),
    ]);
    // Started again after the last death too.
    await vi.waitFor(() => expect(thread.failure?.()).toBeUndefined(), { timeout: 5_000, interval: 20 });
    await thread.stop();
    await store.close();
  }, 90_000);

  it('runs in the background once started: a wake after ingest maps the delivery', async () => {
    const file = join(tmp.dir, 'hooks.yaml');
    writeFileSync(file, HOOKS_MANIFEST);
    const ctx = await startService(join(tmp.dir, 'data'), { manifests: [await loadManifest(file)], dispatcherThread: true });
    await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', ...((d) => ({ payload: d.body, headers: d.headers }))(signedDelivery({ issueId: 5, title: 'bg' })) });
    for (let i = 0; i < 300 && ctx.service.store.deliveryCounts().done < 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(ctx.service.store.listRecords('acme', 'issues', 10).map((r) => r.data)).toEqual([{ id: 5, title: 'bg', repo: 'acme/api' }]);
    await ctx.close();
  });

  it.runIf(process.platform === 'linux')('runs at nice 19, like the WAL checkpointer, while the threads that ingest keep the process priority', async () => {
    const niceOfThreads = () =>
      readdirSync(`/proc/${process.pid}/task`).map((tid) => {
        const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
      });
    const before = niceOfThreads().filter((nice) => nice === 19).length;
    const file = join(tmp.dir, 'hooks.yaml');
    writeFileSync(file, HOOKS_MANIFEST);
    const ctx = await startService(join(tmp.dir, 'data'), { manifests: [await loadManifest(file)], background: false, dispatcherThread: true });
    await ctx.service.dispatcher.drainOnce(); // the thread has started and set its priority
    // Background work: the dispatcher and the store's checkpointer (which starts on its own time).
    for (let i = 0; i < 100 && niceOfThreads().filter((nice) => nice === 19).length < before + 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(niceOfThreads().filter((nice) => nice === 19).length).toBe(before + 2);
    expect(niceOfThreads()[0]).toBe(getPriority()); // the main thread (tid = pid) keeps the process's
    await ctx.close();
  });

  it('a thread that stops by itself says so (failure() for /health, an error line) and is started again, later each time; a stop asked for is not a failure', async () => {
    const { store } = storeAndManifest();
    const notADirectory = join(tmp.dir, 'a-file');
    writeFileSync(notADirectory, '');
    const lines: Array<{ obj: object; msg: string | undefined }> = [];
    const log = (obj: object | string, msg?: string) => void lines.push({ obj: typeof obj === 'string' ? {} : obj, msg: typeof obj === 'string' ? obj : msg });
    // Its store cannot be opened (the database's directory is a file): the thread fails as it starts, each time.
    const broken = createThreadDispatcher({ dbFile: join(notADirectory, 'gwi.db'), manifests: [], store, restartMs: 50, logger: { debug: log, info: log, warn: log, error: log } });
    await expect(broken.drainOnce()).rejects.toThrow('the dispatcher thread stopped');
    await vi.waitFor(() => expect(broken.failure?.()).toMatch(/^the dispatcher thread stopped \(.*\): deliveries are stored but not mapped until it starts again, in 0.05 s$/));
    await vi.waitFor(() => expect(lines.filter((line) => line.msg?.startsWith('the dispatcher thread stopped'))).toHaveLength(3), { timeout: 20_000 });
    expect(lines.filter((line) => line.msg === 'the dispatcher thread started again').length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((line) => line.msg?.startsWith('the dispatcher thread stopped')).map((line) => line.msg!.replace(/.* in /, ''))).toEqual(['0.05 s', '0.1 s', '0.2 s']);
    await broken.stop();
    expect(broken.failure?.()).toBeUndefined();
    await store.close();

    const file = join(tmp.dir, 'hooks.yaml');
    writeFileSync(file, HOOKS_MANIFEST);
    const ctx = await startService(join(tmp.dir, 'data'), { manifests: [await loadManifest(file)], background: false, dispatcherThread: true });
    expect((await ctx.app.inject({ method: 'GET', url: '/health' })).json().dispatcher).toEqual({ status: 'ok', error: null });
    await ctx.service.dispatcher.stop();
    expect(ctx.service.dispatcher.failure?.()).toBeUndefined();
    await ctx.close();
  });
});
