import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../crypto/index.js';
import { createInboxCore, type InsertItem } from './inbox-core.js';
import { createSqliteStore } from './sqlite-store.js';

let dir: string;
let db: Database.Database;
const item = (id: string, connection = 'acme'): InsertItem => [0, 'github', connection, id, 'push', 1000, 'application/json', '{}', Buffer.from('{}'), false];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwi-core-'));
  // The store creates the schema; the core is then driven on a connection of its own.
  await createSqliteStore({ file: join(dir, 'gwi.db'), secretBox: createSecretBox(dir, { GWI_SECRET_KEY: 'a'.repeat(64) }), inbox: 'inline' }).close();
  db = new Database(join(dir, 'gwi.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createInboxCore: dedupe by key hash', () => {
  it('tells keys that share a hash apart by their rows, through inserts, prunes and a reload', () => {
    // Two hash bits: 40 keys share 4 buckets, so nearly every lookup meets other keys' seqs.
    let core = createInboxCore(db, Database, { hashBits: 2 });
    const ids = Array.from({ length: 40 }, (_, i) => `id-${i}`);
    const first = core.insertAll(ids.map((id) => item(id)));
    expect(first.every(([, duplicate]) => !duplicate)).toBe(true);
    expect(new Set(first.map(([seq]) => seq)).size).toBe(40);
    const again = core.insertAll([...ids.map((id) => item(id)), item('id-0', 'other')]);
    expect(again.slice(0, 40)).toEqual(first.map(([seq]) => [seq, true, false]));
    expect(again[40]![1]).toBe(false); // same id, another connection: a new delivery
    // Retention removes some: those ids become new, the others stay duplicates.
    db.prepare("UPDATE deliveries SET status = 'done' WHERE delivery_id IN ('id-1', 'id-2')").run();
    expect(core.prune(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 100, false)).toBe(2);
    const afterPrune = core.insertAll(['id-1', 'id-2', 'id-3'].map((id) => item(id)));
    expect(afterPrune.map(([, duplicate]) => duplicate)).toEqual([false, false, true]);
    core.close();
    core = createInboxCore(db, Database, { hashBits: 2 });
    expect(core.insertAll(ids.map((id) => item(id))).every(([, duplicate]) => duplicate)).toBe(true);
    expect((db.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n).toBe(41);
    core.close();
  });
  it('answers invalidJson for a body marked json that is not, and stores nothing', () => {
    const core = createInboxCore(db, Database);
    const bad: InsertItem = [0, 'github', 'acme', 'j', 'push', 1000, null, '{}', Buffer.from('{"a": '), true];
    const [reply] = core.insertAll([bad]);
    expect(reply).toEqual([0, false, false, expect.stringMatching(/JSON|Unexpected end/)]);
    expect(core.insertAll([item('j')])[0]![1]).toBe(false);
    core.close();
  });
});
