import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFileBodyStore } from '../bus/file-body-store.js';
import { createSecretBox } from '../crypto/index.js';
import { createSqliteStore, type NewDelivery, type Store } from '../store/index.js';
import { createRetention } from './retention.js';

const DAY = 24 * 3_600_000;
let dir: string;
let store: Store;

const delivery = (id: string, receivedAt: number): NewDelivery => ({
  connector: 'github', connection: 'acme', deliveryId: id, event: 'push', headers: {}, body: Buffer.from('{}'), contentType: 'application/json', receivedAt,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gwi-retention-'));
  store = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, { GWI_SECRET_KEY: 'c'.repeat(64) }) });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ACME = [{ connector: 'github', connection: 'acme' }];
const storedIds = () => store.listDeliveries({ limit: 100 }).map((d) => d.id);

describe('createRetention (done deliveries are deleted after the retention)', () => {
  it('deletes done deliveries older than the retention and keeps newer, pending and dead ones', async () => {
    const now = 30 * DAY;
    const old = await store.insertDelivery(delivery('old-done', now - 10 * DAY));
    await store.insertDelivery(delivery('old-pending', now - 9 * DAY));
    const dead = await store.insertDelivery(delivery('old-dead', now - 9 * DAY));
    const recent = await store.insertDelivery(delivery('recent-done', now - 1 * DAY));
    store.completeDelivery(old.seq, 'acme', []);
    store.completeDelivery(recent.seq, 'acme', []);
    store.failDelivery(dead.seq, 'mapping failed', null);

    const removed = await createRetention({ store, retentionMs: 7 * DAY, now: () => now }).runOnce();
    expect(removed).toBe(1);
    expect(await store.findDeliveries('old-done', ACME)).toEqual([]);
    expect((await store.findDeliveries('old-pending', ACME))[0]).toMatchObject({ status: 'pending' });
    expect((await store.findDeliveries('old-dead', ACME))[0]).toMatchObject({ status: 'dead' });
    expect((await store.findDeliveries('recent-done', ACME))[0]).toMatchObject({ status: 'done' });
    // The body goes with its delivery; the kept deliveries keep theirs.
    const db = new Database(join(dir, 'gwi.db'), { readonly: true });
    expect((db.prepare('SELECT seq FROM delivery_bodies ORDER BY seq').all() as Array<{ seq: number }>).map((row) => row.seq)).not.toContain(old.seq);
    expect((db.prepare('SELECT COUNT(*) AS n FROM delivery_bodies').get() as { n: number }).n).toBe(3);
    db.close();
  });

  it('anyStatus (a Pub/Sub worker\'s copies): old deliveries go whatever their status, with their bodies and dedupe keys; newer ones stay', async () => {
    const now = 30 * DAY;
    const done = await store.insertDelivery(delivery('old-done', now - 10 * DAY));
    store.completeDelivery(done.seq, 'acme', []);
    await store.insertDelivery(delivery('old-pending', now - 9 * DAY)); // a killed worker's: redelivered elsewhere
    const failed = await store.insertDelivery(delivery('old-failed', now - 9 * DAY));
    store.failDelivery(failed.seq, 'publish failed', now);
    const dead = await store.insertDelivery(delivery('old-dead', now - 9 * DAY));
    store.failDelivery(dead.seq, 'mapping failed', null);
    await store.insertDelivery(delivery('recent-pending', now - 1 * DAY));

    expect(await createRetention({ store, retentionMs: 7 * DAY, now: () => now, anyStatus: true }).runOnce()).toBe(4);
    expect(storedIds()).toEqual(['recent-pending']);
    // Its dedupe key went with it: Pub/Sub redelivering one of them is a new delivery.
    expect(await store.insertDelivery(delivery('old-pending', now))).toMatchObject({ duplicate: false });
    const db = new Database(join(dir, 'gwi.db'), { readonly: true });
    expect((db.prepare('SELECT COUNT(*) AS n FROM delivery_bodies').get() as { n: number }).n).toBe(2);
    db.close();
  });

  it('deletes in batches until nothing old is left, and keeps everything with retention 0', async () => {
    const now = 30 * DAY;
    for (let i = 0; i < 12; i++) store.completeDelivery((await store.insertDelivery(delivery(`d${i}`, now - 8 * DAY))).seq, 'acme', []);
    expect(await createRetention({ store, retentionMs: 0, now: () => now }).runOnce()).toBe(0);
    expect(store.deliveryCounts().done).toBe(12);
    expect(await store.pruneDeliveries(now - 7 * DAY, 5, now)).toBe(5);
    expect(await createRetention({ store, retentionMs: 7 * DAY, now: () => now }).runOnce()).toBe(7);
    expect(store.deliveryCounts().done).toBe(0);
  });

  it('a delivery stamped in the future (the clock ran ahead) holds back none received after it', async () => {
    const now = 30 * DAY;
    const ahead = await store.insertDelivery(delivery('stamped-ahead', now + 20 * DAY));
    store.completeDelivery(ahead.seq, 'acme', []);
    for (let i = 0; i < 10; i++) store.completeDelivery((await store.insertDelivery(delivery(`after-${i}`, now - 8 * DAY))).seq, 'acme', []);
    expect(await createRetention({ store, retentionMs: 7 * DAY, now: () => now }).runOnce()).toBe(10);
    expect((await store.findDeliveries('stamped-ahead', ACME))[0]).toMatchObject({ status: 'done' }); // kept until its own stamp is old
    expect(await createRetention({ store, retentionMs: 7 * DAY, now: () => now + 28 * DAY }).runOnce()).toBe(1);
  });

  it('start() prunes soon after the start, not an interval later', async () => {
    const now = Date.now();
    store.completeDelivery((await store.insertDelivery(delivery('old', now - 8 * DAY))).seq, 'acme', []);
    const retention = createRetention({ store, retentionMs: 7 * DAY, now: () => now, intervalMs: 3_600_000, firstRunAfterMs: 10 });
    retention.start();
    try {
      await vi.waitFor(async () => expect(await store.findDeliveries('old', ACME)).toEqual([]), { timeout: 5_000 });
    } finally {
      retention.stop();
    }
  });

  it('alsoPrune: large bodies of the Pub/Sub bus older than the retention go too (what serve wires up); retention 0 keeps them', async () => {
    const bodies = createFileBodyStore(join(dir, 'bodies'));
    const now = Date.now(); // file times are wall-clock
    const old = join(bodies.dir, (await bodies.put('github/acme/old', Buffer.from('old'))).slice('file:'.length));
    const recent = join(bodies.dir, (await bodies.put('github/acme/recent', Buffer.from('recent'))).slice('file:'.length));
    utimesSync(old, new Date(now - 8 * DAY), new Date(now - 8 * DAY));
    utimesSync(recent, new Date(now - 6 * DAY), new Date(now - 6 * DAY));

    const keepAll = createRetention({ store, retentionMs: 0, now: () => now });
    keepAll.alsoPrune(bodies.prune);
    await keepAll.runOnce();
    expect(existsSync(old)).toBe(true);

    const errors: unknown[] = [];
    const retention = createRetention({ store, retentionMs: 7 * DAY, now: () => now, onError: (e) => errors.push(e) });
    retention.alsoPrune(async () => { throw new Error('mount gone'); }); // reported, does not stop the rest
    retention.alsoPrune(bodies.prune);
    await retention.runOnce();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(errors).toEqual([new Error('mount gone')]);
  });
});
