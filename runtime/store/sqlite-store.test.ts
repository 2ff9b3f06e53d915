import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSecretBox } from '../crypto/index.js';
import Database from 'better-sqlite3';
import { APPLICATION_ID, MIGRATIONS } from './migrations.js';
import { createSqliteStore, QUEUE_COUNT_SQL } from './sqlite-store.js';
import type { NewDelivery, Store } from './types.js';

const require = createRequire(import.meta.url);
let dir: string;
let store: Store;
const env = { GWI_SECRET_KEY: 'a'.repeat(64) };
const open = () => createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env) });
const delivery = (id: string, extra: Partial<NewDelivery> = {}): NewDelivery => ({
  connector: 'github', connection: 'acme', deliveryId: id, event: 'push', headers: { 'x-a': '1' }, body: Buffer.from(`{"n":"${id}"}`), contentType: 'application/json', receivedAt: 1000, ...extra,
});

/** A database of this application at an older schema version, as that release left it. */
function createAtSchema(file: string, version: number): void {
  const legacy = new Database(file);
  legacy.exec(MIGRATIONS.slice(0, version).join(';\n'));
  legacy.pragma(`user_version = ${version}`);
  legacy.close();
}

const ACME = [{ connector: 'github', connection: 'acme' }];
/** The dedupe keys of the rows in the table, read from the table (not through the keys in memory). */
const storedIds = () => store.listDeliveries({ limit: 100 }).map((d) => d.id);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gwi-store-'));
  store = open();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createSqliteStore: inbox', () => {
  it('stores a delivery once: duplicates in the same batch and later are reported as such', async () => {
    const [a, b] = await Promise.all([store.insertDelivery(delivery('d1')), store.insertDelivery(delivery('d1'))]);
    expect(a).toMatchObject({ id: 'd1', duplicate: false });
    expect(b).toMatchObject({ id: 'd1', duplicate: true, seq: a.seq });
    expect(await store.insertDelivery(delivery('d1'))).toMatchObject({ duplicate: true });
    expect(await store.insertDelivery(delivery('d1', { connection: 'other' }))).toMatchObject({ duplicate: false });
    expect(store.deliveryCounts().pending).toBe(2);
    expect(store.getDelivery(b.seq)).toMatchObject({ id: 'd1', connection: 'acme', status: 'pending' });
    expect(store.getDelivery(b.seq + 100)).toBeUndefined();
  });
  it('keeps acknowledged deliveries across a reopen, with headers and body bytes', async () => {
    const body = Buffer.from([0xff, 0x00, 0xf0, 0x9f, 0x9a, 0x80]);
    await store.insertDelivery(delivery('d2', { body }));
    await store.close();
    store = open();
    const [due] = store.dueDeliveries(2000, 10);
    expect(due).toMatchObject({ id: 'd2', headers: { 'x-a': '1' }, status: 'pending', attempts: 0 });
    expect(due!.body.equals(body)).toBe(true);
  });
  it('moves headers and bodies stored before their own table (schema 3) into it, byte for byte', async () => {
    await store.close();
    const file = join(dir, 'v3.db');
    const legacy = new Database(file);
    legacy.exec(MIGRATIONS.slice(0, 3).join(';\n'));
    legacy.pragma('user_version = 3');
    const body = Buffer.from([0xff, 0x00, 0x7b, 0x7d]);
    legacy.prepare(`INSERT INTO deliveries (connector, connection, delivery_id, event, status, attempts, next_attempt_at, received_at, content_type, headers, body)
      VALUES ('github', 'acme', 'old-1', 'push', 'pending', 0, 1000, 1000, 'application/json', '{"x-a":"1"}', ?)`).run(body);
    legacy.close();
    store = createSqliteStore({ file, secretBox: createSecretBox(dir, env) });
    // Said, so that the caller can log it: the upgrade is one-way.
    expect(store.schemaUpgrade).toEqual({ from: 3, to: MIGRATIONS.length });
    const [due] = store.dueDeliveries(2000, 10);
    expect(due).toMatchObject({ id: 'old-1', headers: { 'x-a': '1' } });
    expect(due!.body.equals(body)).toBe(true);
    expect((await store.insertDelivery(delivery('old-1'))).duplicate).toBe(true);
    // Schema 5: no UNIQUE index on the delivery id any more (dedupe keys are in the writer's memory).
    const check = new Database(file, { readonly: true });
    expect((check.pragma('index_list(deliveries)') as Array<{ name: string; unique: number }>).filter((index) => index.unique)).toEqual([]);
    check.close();
  });
  it('refuses a database a newer release wrote (a schema version it does not know), naming both versions', async () => {
    await store.close();
    const file = join(dir, 'gwi.db');
    const newer = new Database(file);
    newer.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    newer.close();
    let refused: unknown;
    try {
      store = open();
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: 'STORE_VERSION', message: `${file} has database schema version ${MIGRATIONS.length + 1}; this release of gwi-connectors knows versions up to ${MIGRATIONS.length}` });
    const back = new Database(file);
    back.pragma(`user_version = ${MIGRATIONS.length}`);
    back.close();
    store = open();
    // Neither a new database nor one at this release's version is an upgrade.
    expect(store.schemaUpgrade).toBeUndefined();
  });
  describe('refuses a gwi.db that is not its own, leaving it byte for byte as it was', () => {
    const cases: Array<[string, (file: string) => void, RegExp]> = [
      ['another application\'s SQLite database', (file) => {
        const other = new Database(file);
        other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me')");
        other.close();
      }, /is not a gwi-connectors database: it has the tables notes and lacks connections, deliveries, records, state, runs, tokens$/],
      ['one that marks itself with another application_id', (file) => {
        const other = new Database(file);
        other.pragma('application_id = 1234');
        other.exec('CREATE TABLE connections (id TEXT)');
        other.close();
      }, /its application_id is 0x4d2 \(another application's\)$/],
      ['a file that is not SQLite', (file) => writeFileSync(file, 'not a database, just text that is long enough to fill a header page '.repeat(20)), /it is not an SQLite database$/],
    ];
    it.each(cases)('%s: STORE_FOREIGN naming the file', async (_name, make, why) => {
      await store.close();
      const file = join(dir, 'other', 'gwi.db');
      mkdirSync(join(dir, 'other'));
      make(file);
      const before = readFileSync(file);
      let refused: unknown;
      try {
        createSqliteStore({ file, secretBox: createSecretBox(dir, env) });
      } catch (error) {
        refused = error;
      }
      expect(refused).toMatchObject({ code: 'STORE_FOREIGN', message: expect.stringMatching(why) });
      expect((refused as Error).message).toContain(file);
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(readdirSync(join(dir, 'other'))).toEqual(['gwi.db']); // no -wal, -shm or lock beside it
      store = open();
    });
    it('a database of its own from before the mark (schema 6) opens and is marked', async () => {
      await store.close();
      const file = join(dir, 'v6.db');
      createAtSchema(file, 6);
      store = createSqliteStore({ file, secretBox: createSecretBox(dir, env) });
      expect(await store.insertDelivery(delivery('v6'))).toMatchObject({ duplicate: false });
      const check = new Database(file, { readonly: true });
      expect(check.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
      check.close();
    });
  });
  it('reads the schema version again once it holds the lock: another process that upgraded it meanwhile is not upgraded over', async () => {
    await store.close();
    const file = join(dir, 'racing.db');
    createAtSchema(file, 6);
    // Another process starting at the same moment: it holds the lock, upgrades, then lets go.
    const other = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.sqlite);
      const lock = new Database(workerData.file + '-inbox.lock');
      lock.exec('BEGIN EXCLUSIVE');
      parentPort.postMessage('locked');
      setTimeout(() => {
        const db = new Database(workerData.file);
        for (let i = 6; i < workerData.migrations.length; i++) db.transaction(() => { db.exec(workerData.migrations[i]); db.pragma('user_version = ' + (i + 1)); })();
        db.close();
        lock.close();
      }, 300);
    `, { eval: true, workerData: { file, migrations: MIGRATIONS, sqlite: require.resolve('better-sqlite3') } });
    await new Promise((resolve) => other.once('message', resolve));
    // This one read version 6 before it waited for the lock: re-running migration 7 and 8 would fail ("duplicate column").
    store = createSqliteStore({ file, secretBox: createSecretBox(dir, env) });
    await expect(store.opened()).resolves.toBeUndefined();
    await other.terminate();
  });
  it('does not upgrade the schema under another process that writes deliveries (an older release still running): STORE_IN_USE, version unchanged', async () => {
    await store.close();
    const file = join(dir, 'older.db');
    createAtSchema(file, 6);
    // The older release's writer: it holds the inbox lock while it runs.
    const running = new Database(`${file}-inbox.lock`);
    running.exec('BEGIN EXCLUSIVE');
    let refused: unknown;
    try {
      createSqliteStore({ file, secretBox: createSecretBox(dir, env) });
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: 'STORE_IN_USE', message: expect.stringContaining(`its schema must be upgraded from version 6 to ${MIGRATIONS.length}`) });
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(6);
    check.close();
    // Once it has stopped, the upgrade runs.
    running.close();
    store = createSqliteStore({ file, secretBox: createSecretBox(dir, env) });
    await expect(store.opened()).resolves.toBeUndefined();
  });
  for (const inbox of ['worker', 'inline'] as const) {
    it(`checks a body marked json before storing it, and stores nothing when it is not JSON (${inbox} inbox)`, async () => {
      await store.close();
      store = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox });
      const [bad, good, unchecked] = await Promise.all([
        store.insertDelivery(delivery('j1', { json: true, body: Buffer.from('{"a": ') })),
        store.insertDelivery(delivery('j2', { json: true, body: Buffer.from('{"a": "é"}') })),
        store.insertDelivery(delivery('j3', { body: Buffer.from('not json') })),
      ]);
      expect(bad!.invalidJson).toMatch(/JSON|Unexpected end/);
      expect(storedIds()).not.toContain('j1');
      expect(good).toMatchObject({ duplicate: false });
      expect(good!.invalidJson).toBeUndefined();
      expect(unchecked!.invalidJson).toBeUndefined();
      expect(storedIds()).toEqual(['j2', 'j3']);
    });
  }
  for (const inbox of ['worker', 'inline'] as const) {
    describe(`dedupe keys (${inbox} inbox)`, () => {
      const reopen = async () => {
        await store.close();
        store = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox });
        await store.opened();
      };
      it('come back after a reopen, and leave with the deliveries retention deletes', async () => {
        await reopen();
        const first = await store.insertDelivery(delivery('k1'));
        await store.insertDelivery(delivery('k2'));
        await reopen();
        expect(await store.insertDelivery(delivery('k1'))).toMatchObject({ duplicate: true, seq: first.seq });
        await store.settleDeliveries([{ seq: first.seq, replays: null, connection: 'acme', done: true, batches: [] }]);
        expect(await store.pruneDeliveries(2000, 10, 2000)).toBe(1);
        // Deleted by retention: the dedupe window is over, the same id is a new delivery.
        const again = await store.insertDelivery(delivery('k1'));
        expect(again).toMatchObject({ duplicate: false });
        expect(again.seq).not.toBe(first.seq);
        expect(await store.insertDelivery(delivery('k2'))).toMatchObject({ duplicate: true });
        expect(store.deliveryCounts().pending).toBe(2);
      });
      it('belong to one process at a time: a second writer on the data directory is refused with STORE_IN_USE', async () => {
        await reopen();
        const second = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox });
        const refused = await second.opened().then(() => undefined, (error: unknown) => error);
        expect(refused).toMatchObject({ code: 'STORE_IN_USE', message: expect.stringContaining('gwi.db-inbox.lock') });
        await second.close();
        await store.close();
        // Released with the first store: the next writer opens.
        store = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox });
        await expect(store.opened()).resolves.toBeUndefined();
      });
      it('a deleted lock file does not make two writers: the writer takes a new one, or stops when another process did', async () => {
        await reopen();
        const lockFiles = () => readdirSync(dir).filter((name) => name.startsWith('gwi.db-inbox.lock')).forEach((name) => rmSync(join(dir, name)));
        // Deleted, then this writer writes first: it takes a new lock, and a second writer is still refused.
        lockFiles();
        expect(await store.insertDelivery(delivery('l1'))).toMatchObject({ duplicate: false });
        const refused = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox });
        await expect(refused.opened()).rejects.toMatchObject({ code: 'STORE_IN_USE' });
        await refused.close();
        // Deleted, then another process opens first: it is the writer now, and this one stops writing (503s).
        lockFiles();
        const other = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox });
        await other.opened();
        await expect(store.insertDelivery(delivery('l2'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('another process is writing') });
        expect(store.ping()).toBe(false);
        expect(await other.insertDelivery(delivery('l1'))).toMatchObject({ duplicate: true }); // one row per delivery id
        await other.close();
      });
      it('stops acknowledging when the database file is deleted or replaced under it, and says so in ping()', async () => {
        await reopen();
        expect(await store.insertDelivery(delivery('d1'))).toMatchObject({ duplicate: false });
        expect(store.ping()).toBe(true);
        for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, `gwi.db${suffix}`), { force: true });
        await expect(store.insertDelivery(delivery('d2'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('was deleted or replaced') });
        expect(store.ping()).toBe(false);
        await store.close();
        store = open();
      });
    });
  }
  for (const inbox of ['worker', 'inline'] as const) {
    it(`finds deliveries by dedupe key in the connections asked for, through the keys in memory (${inbox} inbox)`, async () => {
      await store.close();
      store = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox });
      const mine = await store.insertDelivery(delivery('k1'));
      const theirs = await store.insertDelivery(delivery('k1', { connection: 'other' }));
      await store.insertDelivery(delivery('k2'));
      expect((await store.findDeliveries('k1', ACME)).map((d) => d.seq)).toEqual([mine.seq]);
      const both = await store.findDeliveries('k1', [...ACME, { connector: 'github', connection: 'other' }]);
      expect(both.map((d) => [d.seq, d.connection])).toEqual([[mine.seq, 'acme'], [theirs.seq, 'other']]);
      expect(await store.findDeliveries('k1', [{ connector: 'gitlab', connection: 'acme' }])).toEqual([]);
      expect(await store.findDeliveries('nope', ACME)).toEqual([]);
    });
  }
  it('opens as soon as the writer holds the lock; deliveries submitted right away are still checked against every stored key', async () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `full-${i}`);
    for (let i = 0; i < ids.length; i += 2_000) await Promise.all(ids.slice(i, i + 2_000).map((id) => store.insertDelivery(delivery(id))));
    await store.close();
    store = open();
    await store.opened();
    // The last key stored is the last one the writer loads: these wait for the whole scan.
    const [last, first, fresh] = await Promise.all([store.insertDelivery(delivery('full-19999')), store.insertDelivery(delivery('full-0')), store.insertDelivery(delivery('full-new'))]);
    expect([last.duplicate, first.duplicate, fresh.duplicate]).toEqual([true, true, false]);
    expect(store.deliveryCounts().pending).toBe(20_001);
  });
  for (const inbox of ['worker', 'inline'] as const) {
    it(`after a failed inbox commit, ping() is false until a commit of its own succeeds, without waiting for a delivery (${inbox} inbox)`, async () => {
      await store.close();
      store = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox });
      await store.insertDelivery(delivery('p0'));
      const db = new Database(join(dir, 'gwi.db'));
      db.exec('ALTER TABLE delivery_bodies RENAME TO delivery_bodies_away'); // inserts fail, as on a full disk
      await expect(store.insertDelivery(delivery('p1'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(store.ping()).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(store.ping()).toBe(false); // its probe failed too
      db.exec('ALTER TABLE delivery_bodies_away RENAME TO delivery_bodies');
      db.close();
      await vi.waitFor(() => expect(store.ping()).toBe(true), { timeout: 6_000, interval: 100 });
      // The probe left nothing behind, not even a gap in seq.
      const next = await store.insertDelivery(delivery('p2'));
      expect(storedIds()).toEqual(['p0', 'p2']);
      expect(next.seq).toBe(store.listDeliveries({ limit: 10 }).find((d) => d.id === 'p0')!.seq + 1);
    });
  }
  it('forgets the keys of a batch whose transaction rolled back', async () => {
    await store.close();
    store = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, env), inbox: 'inline' });
    await store.insertDelivery(delivery('r0'));
    const db = new Database(join(dir, 'gwi.db'));
    db.exec('ALTER TABLE delivery_bodies RENAME TO delivery_bodies_away');
    await expect(store.insertDelivery(delivery('r1'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    db.exec('ALTER TABLE delivery_bodies_away RENAME TO delivery_bodies');
    db.close();
    expect(await store.insertDelivery(delivery('r1'))).toMatchObject({ duplicate: false });
    expect(storedIds()).toEqual(['r0', 'r1']);
  });
  it('moves a delivery through failed, dead and replay', async () => {
    const { seq } = await store.insertDelivery(delivery('d3'));
    store.failDelivery(seq, 'boom', 5000);
    expect(store.dueDeliveries(4999, 10)).toHaveLength(0);
    expect(store.dueDeliveries(5000, 10)[0]).toMatchObject({ status: 'failed', attempts: 1, error: 'boom' });
    store.failDelivery(seq, 'boom again', null);
    expect(store.listDeliveries({ status: 'dead', limit: 10 })).toHaveLength(1);
    expect(store.deadByConnection()).toEqual({ acme: 1 });
    expect(store.dueDeliveries(1e12, 10)).toHaveLength(0);
    expect(store.replayDelivery(seq, 6000)).toBe(true);
    expect(store.deadByConnection()).toEqual({});
    expect(store.dueDeliveries(6000, 10)[0]).toMatchObject({ status: 'pending', attempts: 0, error: null });
    await store.settleDeliveries([{ seq, replays: null, connection: 'acme', done: true, batches: [{ stream: 'pushes', records: [{ key: '1', data: { id: 1 } }] }] }]);
    expect((await store.findDeliveries('d3', ACME))[0]).toMatchObject({ status: 'done' });
    expect(store.listRecords('acme', 'pushes', 10)).toMatchObject([{ key: '1', data: { id: 1 } }]);
  });
  it('replays every dead (or failed) delivery of one connection, past a thousand, and no other', async () => {
    const inserted = await Promise.all(Array.from({ length: 2_300 }, (_, i) => store.insertDelivery(delivery(`bulk-${i}`))));
    const others = await Promise.all(['o1', 'o2'].map((id) => store.insertDelivery(delivery(id, { connection: 'other' }))));
    for (const { seq } of [...inserted, ...others]) store.failDelivery(seq, 'boom', null);
    const failedOnly = await store.insertDelivery(delivery('waiting'));
    store.failDelivery(failedOnly.seq, 'boom', 9_000);
    // The event loop is let go between chunks of a thousand: other work (a webhook's answer) runs meanwhile.
    let ranMeanwhile = false;
    const replaying = store.replayDeliveries('acme', 'dead', 7_000);
    setImmediate(() => void (ranMeanwhile = true));
    // Replayed in the first chunk and dead again meanwhile (the dispatcher failed it): not replayed twice by this call.
    store.failDelivery(inserted[0]!.seq, 'boom again', null);
    expect(await replaying).toBe(2_300);
    expect(ranMeanwhile).toBe(true);
    expect(store.getDelivery(inserted[0]!.seq)).toMatchObject({ status: 'dead', error: 'boom again' });
    store.replayDelivery(inserted[0]!.seq, 7_000);
    expect(store.deadByConnection()).toEqual({ other: 2 });
    expect(store.listDeliveries({ connection: 'acme', status: 'pending', limit: 1_000 })).toHaveLength(1_000);
    expect(store.dueDeliveries(7_000, 5)[0]).toMatchObject({ status: 'pending', attempts: 0, error: null });
    expect(await store.replayDeliveries('acme', 'dead', 7_000)).toBe(0);
    expect(await store.replayDeliveries('acme', 'failed', 7_000)).toBe(1);
    expect(store.getDelivery(failedOnly.seq)).toMatchObject({ status: 'pending', attempts: 0 });
  });
  it('returns due deliveries, pending and failed together, by due time then arrival, up to the limit', async () => {
    const a = await store.insertDelivery(delivery('a', { receivedAt: 3000 }));
    const b = await store.insertDelivery(delivery('b', { receivedAt: 1000 }));
    const c = await store.insertDelivery(delivery('c', { receivedAt: 2000 }));
    store.failDelivery(a.seq, 'boom', 1500); // failed, due at 1500: between b and c
    store.failDelivery(c.seq, 'boom', 9000); // not due yet at 5000
    expect(store.dueDeliveries(5000, 10).map((d) => d.id)).toEqual(['b', 'a']);
    expect(store.dueDeliveries(5000, 1).map((d) => d.id)).toEqual(['b']);
    expect(store.dueDeliveries(5000, 10, new Set([b.seq])).map((d) => d.id)).toEqual(['a']);
    expect(store.dueDeliveries(9000, 10).map((d) => d.id)).toEqual(['b', 'a', 'c']);
  });
  it('checkpoints the WAL into the database on its own thread while inserts go on', async () => {
    const before = statSync(join(dir, 'gwi.db')).size;
    const body = Buffer.alloc(4096, 'x');
    // ~2,000 pages of WAL: more than SQLite's default autocheckpoint, far below the inbox
    // connection's safety net, and nobody else writes: only the checkpointer moves them.
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.insertDelivery(delivery(`w${batch}-${i}`, { body }))));
    }
    for (let i = 0; i < 100 && statSync(join(dir, 'gwi.db')).size < before + 2_000_000; i++) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(join(dir, 'gwi.db')).size).toBeGreaterThan(before + 2_000_000);
    expect(store.deliveryCounts().pending).toBe(1000);
  });
  it('pages deliveries by seq cursor and filters by connection and status', async () => {
    for (let i = 0; i < 5; i++) await store.insertDelivery(delivery(`p${i}`));
    const first = store.listDeliveries({ limit: 2 });
    const second = store.listDeliveries({ limit: 2, after: first[1]!.seq });
    expect([...first, ...second].map((d) => d.id)).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(store.listDeliveries({ limit: 10, connection: 'nope' })).toEqual([]);
    await store.settleDeliveries([first[0]!, second[0]!].map((d) => ({ seq: d.seq, replays: null, connection: 'acme', done: true as const, batches: [] })));
    store.failDelivery(second[1]!.seq, 'boom', 5000);
    const pending = store.listDeliveries({ limit: 2, status: 'pending' });
    expect(pending.map((d) => d.id)).toEqual(['p1', 'p4']);
    expect(store.listDeliveries({ limit: 2, status: 'pending', after: pending[0]!.seq }).map((d) => d.id)).toEqual(['p4']);
    expect(store.listDeliveries({ limit: 10, status: 'failed' }).map((d) => d.id)).toEqual(['p3']);
    expect(store.listDeliveries({ limit: 10, status: 'done' }).map((d) => d.id)).toEqual(['p0', 'p2']);
  });
  it('keeps a replay made while the delivery was being handled: the outcome read before it is not written', async () => {
    const { seq } = await store.insertDelivery(delivery('raced'));
    const [read] = store.dueDeliveries(Date.now() + 1000, 10);
    expect(read).toMatchObject({ seq, replays: 0 });
    expect(store.replayDelivery(seq, 2000)).toBe(true); // the admin's replay, answered 202, while the dispatcher maps
    // The dispatcher's outcomes, computed from the row it read: dead-lettered, or done.
    await store.settleDeliveries([{ seq, replays: read!.replays, done: false, error: 'boom', nextAttemptAt: null }]);
    expect(store.getDelivery(seq)).toMatchObject({ status: 'pending', attempts: 0, error: null });
    await store.settleDeliveries([{ seq, replays: read!.replays, connection: 'acme', done: true, batches: [{ stream: 's', records: [{ key: 'k', data: { v: 1 } }] }] }]);
    expect(store.getDelivery(seq)).toMatchObject({ status: 'pending', attempts: 0 });
    // The replay is handled as any delivery: read again, its outcome is written.
    const [again] = store.dueDeliveries(Date.now() + 1000, 10);
    expect(again).toMatchObject({ seq, replays: 1 });
    await store.settleDeliveries([{ seq, replays: again!.replays, done: false, error: 'boom again', nextAttemptAt: null }]);
    expect(store.getDelivery(seq)).toMatchObject({ status: 'dead', attempts: 1, error: 'boom again' });
  });
  it('pages dead deliveries (read from their partial index) by seq cursor and connection', async () => {
    for (let i = 0; i < 6; i++) {
      const { seq } = await store.insertDelivery(delivery(`x${i}`, { connection: i % 2 === 0 ? 'acme' : 'other' }));
      if (i !== 2) store.failDelivery(seq, 'boom', null); // x2 stays pending
    }
    const first = store.listDeliveries({ limit: 2, status: 'dead' });
    expect(first.map((d) => d.id)).toEqual(['x0', 'x1']);
    expect(store.listDeliveries({ limit: 10, status: 'dead', after: first[1]!.seq }).map((d) => d.id)).toEqual(['x3', 'x4', 'x5']);
    expect(store.listDeliveries({ limit: 10, status: 'dead', connection: 'acme' }).map((d) => d.id)).toEqual(['x0', 'x4']);
  });
  it('counts the queue (pending, failed, dead) from the partial indexes, never reading done deliveries', async () => {
    const seqs = [];
    for (let i = 0; i < 7; i++) seqs.push((await store.insertDelivery(delivery(`q${i}`))).seq);
    await store.settleDeliveries(seqs.slice(0, 3).map((seq) => ({ seq, replays: null, connection: 'acme', done: true as const, batches: [] })));
    store.failDelivery(seqs[3]!, 'boom', 5000);
    store.failDelivery(seqs[4]!, 'boom', null);
    store.failDelivery(seqs[5]!, 'boom', null);
    expect(store.queueCounts()).toEqual({ pending: 1, failed: 1, dead: 2 });
    expect(store.deliveryCounts()).toEqual({ pending: 1, done: 3, failed: 1, dead: 2 });
    // The plan is the point: /health and /metrics run these on every request, and a table scan would
    // read every done delivery the retention keeps (~250 ms per million, docs/performance.md).
    const db = new Database(join(dir, 'gwi.db'), { readonly: true });
    try {
      for (const [name, sql] of Object.entries(QUEUE_COUNT_SQL)) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((row) => row.detail).join('; ');
        expect(plan, name).toMatch(/USING (COVERING )?INDEX deliveries_(due|dead)\b/);
        expect(plan, name).not.toMatch(/SCAN deliveries(;|$)/);
      }
    } finally {
      db.close();
    }
  });
});

describe('createSqliteStore: records, connections, state, runs, tokens', () => {
  it('upserts records by primary key; a changed record moves after every other, the same data again stays where it is', async () => {
    const listed = (after?: number) => store.listRecords('c', 's', 10, after).map((r) => [r.key, r.data['v']]);
    await store.upsertRecords('c', [{ stream: 's', records: [{ key: 'a', data: { v: 1 } }, { key: 'b', data: { v: 1 } }, { key: 'c', data: { v: 1 } }] }]);
    const lastRead = store.listRecords('c', 's', 10).at(-1)!.seq;
    await store.upsertRecords('c', [{ stream: 's', records: [{ key: 'a', data: { v: 2 } }, { key: 'b', data: { v: 1 } }] }]);
    expect(listed()).toEqual([['b', 1], ['c', 1], ['a', 2]]);
    // After the last seq read: what changed since, and only that.
    expect(listed(lastRead)).toEqual([['a', 2]]);
    await store.upsertRecords('o', [{ stream: 's', records: [{ key: 'x', data: { v: 1 } }] }]); // another connection's record
    await store.upsertRecords('c', [{ stream: 's', records: [{ key: 'b', data: { v: 3 } }, { key: 'd', data: { v: 1 } }] }]);
    expect(listed(lastRead)).toEqual([['a', 2], ['b', 3], ['d', 1]]);
  });
  it('does not replace a stored record by an older copy (a lower version); equal, newer, unversioned or incomparable ones replace it', async () => {
    const put = (key: string, v: string, version: number | string | null) => store.upsertRecords('c', [{ stream: 's', records: [{ key, data: { v }, version }] }]);
    const value = (key: string) => store.listRecords('c', 's', 10).find((r) => r.key === key)?.data['v'];
    await put('pr', 'webhook: closed', Date.parse('2025-06-01T00:00:00Z'));
    await put('other', 'x', null);
    expect(await put('pr', 'sync page read earlier: open', Date.parse('2024-01-01T03:20:00Z'))).toBe(0); // not written, not counted
    expect(value('pr')).toBe('webhook: closed');
    expect(store.listRecords('c', 's', 10).map((r) => r.key)).toEqual(['pr', 'other']); // nor moved: nothing changed
    await put('pr', 'same version again', Date.parse('2025-06-01T00:00:00Z'));
    expect(value('pr')).toBe('same version again');
    await put('pr', 'newer', Date.parse('2025-06-02T00:00:00Z'));
    expect(value('pr')).toBe('newer');
    await put('pr', 'no cursor', null);
    expect(value('pr')).toBe('no cursor');
    await put('pr', 'any version after none', 1);
    expect(value('pr')).toBe('any version after none');
    // Strings (a cursor that is neither a datetime nor a number) compare as text.
    await put('s', 'b', 'b');
    await put('s', 'a', 'a');
    expect(value('s')).toBe('b');
    // A number and a text do not compare (SQLite orders every number first): the last write wins, both ways.
    await put('s', 'a datetime after the text', Date.parse('2026-03-01T00:00:00Z'));
    expect(value('s')).toBe('a datetime after the text');
    await put('s', 'text after the datetime', 'garbage');
    expect(value('s')).toBe('text after the datetime');
    await put('s', 'a datetime again', Date.parse('2026-03-02T00:00:00Z'));
    expect(value('s')).toBe('a datetime again');
    expect(await put('s', 'an older datetime', Date.parse('2026-03-01T00:00:00Z'))).toBe(0);
    // Through the dispatcher's path too (completeDelivery's batches).
    const { seq } = await store.insertDelivery(delivery('v1'));
    store.completeDelivery(seq, 'c', [{ stream: 's', records: [{ key: 'pr', data: { v: 'stale webhook' }, version: 0 }] }]);
    expect(value('pr')).toBe('any version after none');
  });
  it('seals secret fields at rest and opens them on read', async () => {
    const config = { token: 'ghp_SECRET1', nested: { key: 'SECRET2' }, keys: ['public', 'SECRET3'], repos: ['a/b'] };
    store.saveConnection({ id: 'acme', connector: 'github', config, schedule: 'every 1h', source: 'api' }, [['token'], ['nested', 'key'], ['keys', 1]]);
    expect(store.getConnection('acme')!.config).toEqual(config);
    await store.close();
    const raw = readFileSync(join(dir, 'gwi.db')).toString('latin1') + readFileSync(join(dir, 'gwi.db-wal'), { flag: 'a+' }).toString('latin1');
    for (const secret of ['ghp_SECRET1', 'SECRET2', 'SECRET3']) expect(raw.includes(secret), secret).toBe(false);
    expect(raw.includes('"public"')).toBe(true);
    store = open();
    expect(store.listConnections().readable[0]!.config['token']).toBe('ghp_SECRET1');
  });
  it('lists a connection whose secrets another key sealed apart, as stored, and keeps it', async () => {
    store.saveConnection({ id: 'sealed-before', connector: 'github', config: { token: 'ghp_OLD' }, schedule: 'every 1h', source: 'api' }, [['token']]);
    store.saveConnection({ id: 'plain', connector: 'github', config: { repos: ['a/b'] }, schedule: null, source: 'file' }, []);
    await store.close();
    store = createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, { ...env, GWI_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }) });
    const listed = store.listConnections();
    expect(listed.readable.map((row) => row.id)).toEqual(['plain']);
    expect(listed.unreadable).toEqual([{ id: 'sealed-before', connector: 'github', schedule: 'every 1h', source: 'api', error: expect.objectContaining({ code: 'SECRET_DECRYPT' }) }]);
    await store.close();
    store = open(); // the key it was sealed with: readable again
    expect(store.listConnections().readable.map((row) => row.id)).toEqual(['plain', 'sealed-before']);
  });
  it('keeps state per stream, runs and sealed tokens', async () => {
    const state = { type: 'STREAM' as const, stream: { stream_descriptor: { name: 'issues' }, stream_state: { updated_at: 'x' } } };
    store.saveState('acme', state);
    expect(store.loadState('acme')).toEqual([state]);
    // lastRun follows every write of a run, whether or not it was read before (it keeps what it read).
    expect(store.lastRun('acme')).toBeUndefined();
    const run = store.createRun('acme', 'api', 1000);
    expect(store.lastRun('acme')).toMatchObject({ id: run.id, status: 'running' });
    store.recordRunProgress(run.id, 351);
    expect(store.lastRun('acme')).toMatchObject({ id: run.id, status: 'running', records: 351 });
    // Cut off by a crash: what it wrote is still told.
    expect(store.failInterruptedRuns(2000)).toBe(1);
    expect(store.getRun(run.id)).toMatchObject({ status: 'failed', error: 'interrupted by a restart', records: 351 });
    expect(store.lastRun('acme')).toMatchObject({ id: run.id, status: 'failed', error: 'interrupted by a restart' });
    const next = store.createRun('acme', 'schedule', 3000);
    const other = store.createRun('other', 'api', 3000);
    expect(store.lastRun('acme')).toMatchObject({ id: next.id, status: 'running' });
    store.finishRun(next.id, 'succeeded', 7, null, 4000);
    expect(store.lastRun('acme')).toMatchObject({ id: next.id, status: 'succeeded', records: 7 });
    expect(store.lastRun('other')).toMatchObject({ id: other.id, status: 'running' });
    store.finishRun(other.id, 'failed', 0, 'boom', 4000);
    expect(store.lastRun('other')).toMatchObject({ id: other.id, status: 'failed', error: 'boom' });
    const tokens = store.tokenStore('acme');
    await tokens.save('oauth', { access_token: 'at', expires_at: 5 });
    expect(await tokens.load('oauth')).toEqual({ access_token: 'at', expires_at: 5 });
    expect(await store.tokenStore('other').load('oauth')).toBeUndefined();
  });
  it('prunes finished runs that ended before a time, never a connection\'s latest or a running one', () => {
    const run = (connection: string, startedAt: number, finishedAt: number | null) => {
      const created = store.createRun(connection, 'schedule', startedAt);
      if (finishedAt !== null) store.finishRun(created.id, 'succeeded', 1, null, finishedAt);
      return created.id;
    };
    const old1 = run('a', 1000, 1100);
    const old2 = run('a', 2000, 2100);
    const latestA = run('a', 3000, 3100);
    const onlyB = run('b', 1000, 1100);
    const runningC = run('c', 500, null);
    run('c', 600, 700);
    const newer = run('d', 1000, 9000);
    run('d', 9500, 9600);
    expect(store.pruneRuns(5000, 1)).toBe(1);
    expect(store.pruneRuns(5000, 100)).toBe(1);
    expect(store.pruneRuns(5000, 100)).toBe(0);
    expect(store.getRun(old1)).toBeUndefined();
    expect(store.getRun(old2)).toBeUndefined();
    for (const kept of [latestA, onlyB, runningC, newer]) expect(store.getRun(kept)).toBeDefined();
    expect(store.lastRun('a')?.id).toBe(latestA);
  });
  it('rejects writes with STORE_UNAVAILABLE once closed', async () => {
    await store.close();
    await expect(store.insertDelivery(delivery('z'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(store.ping()).toBe(false);
    store = open();
  });
});
