import type { Database } from 'better-sqlite3';
import * as fs from 'node:fs';
import type { DeliveryOutcome, InsertResult, NewDelivery, RecordBatch } from './types.js';

/**
 * A delivery on its way into the inbox, as a tuple: cheaper to structured-clone to the writer thread
 * than an object with named keys, on the hottest path. `req` numbers the caller's request.
 */
export type InsertItem = [req: number, connector: string, connection: string, deliveryId: string, event: string, receivedAt: number, contentType: string | null, headersJson: string, body: Uint8Array, json: boolean];
/** What identifies a delivery: its dedupe key is unique per connector and connection. */
export type DeliveryKey = readonly [connector: string, connection: string, deliveryId: string];
/** [seq, duplicate, published, invalidJson?]: seq 0 and nothing stored when `invalidJson` is set. */
export type InsertReply = [seq: number, duplicate: boolean, published: boolean, invalidJson?: string];

/** Every write to the inbox and the record store, on one SQLite connection: the only place that writes deliveries. */
export interface InboxCore {
  /** One durable transaction (the caller picks its synchronous mode). */
  insertAll(items: readonly InsertItem[]): InsertReply[];
  settle(outcomes: readonly DeliveryOutcome[]): null;
  upsert(connection: string, batches: readonly RecordBatch[]): number;
  published(seq: number, at: number): null;
  /**
   * A commit with every check an inbox commit has (the lock, the keys, the database file) that
   * inserts a delivery and its body and deletes them again: it succeeds when a delivery could be
   * stored now, and leaves nothing (not even a gap in seq). Run at the inbox's synchronous mode.
   */
  probe(at: number): null;
  /** The seqs of the stored deliveries with these keys, from the dedupe keys in memory: no scan of the table. */
  lookup(keys: readonly DeliveryKey[]): number[];
  /**
   * Deletes up to `limit` done deliveries (any status with `anyStatus`) with seq < `below` received
   * before `before`, with their bodies and dedupe keys; returns how many.
   */
  prune(below: number, before: number, limit: number, anyStatus: boolean): number;
  /**
   * Runs `write` with synchronous=NORMAL when the connection is at FULL. For writes that can be
   * redone (records, delivery status, retention: the dispatcher reprocesses a delivery whose "done"
   * was lost, upserts are idempotent): they commit without a fsync of their own, and the next inbox
   * commit or checkpoint makes them durable. Only the inbox needs a fsync per commit.
   */
  redoable<R>(write: () => R): R;
}

/**
 * The write path as JavaScript source, so that one implementation runs both on the inbox writer
 * thread (a worker evaluated from a string: no separate entry to build or resolve from TypeScript
 * sources) and inline on the caller's connection (`createInboxCore`).
 *
 * Dedupe does not use a UNIQUE index. Delivery ids are random (GitHub's are GUIDs), so every insert
 * into such an index dirtied a random page of it: each group commit wrote one 4 KB index page per
 * delivery to the WAL, doubling what a delivery costs to write (docs/performance.md). Instead the
 * core keeps a hash of the key of every delivery in the table in a Map, loaded by a scan when the
 * first delivery arrives (~1.6 s and ~30 MB per million deliveries kept); the table itself is then only
 * appended to. The Map is right only while this
 * core is the one writer of deliveries, so it takes an exclusive lock (`<db>-inbox.lock`, released by
 * the OS if the process dies) and refuses to start when another process holds it.
 */
export const INBOX_CORE_SOURCE = String.raw`
function createInboxCore(db, Database, options) {
  const fs = options.fs;
  const insert = db.prepare("INSERT INTO deliveries (connector, connection, delivery_id, event, status, attempts, next_attempt_at, received_at, content_type) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)");
  const insertBody = db.prepare('INSERT INTO delivery_bodies (seq, headers, body) VALUES (?, ?, ?)');
  const identity = db.prepare('SELECT connector, connection, delivery_id, published_at FROM deliveries WHERE seq = ?');
  const published = db.prepare('UPDATE deliveries SET published_at = ? WHERE seq = ?');
  // "replays = coalesce(?, replays)": an outcome from before a replay is not written (DeliveryOutcome.replays).
  const done = db.prepare("UPDATE deliveries SET status = 'done', attempts = attempts + 1, error = NULL, next_attempt_at = NULL WHERE seq = ? AND replays = coalesce(?, replays)");
  const fail = db.prepare('UPDATE deliveries SET status = ?, attempts = attempts + 1, error = ?, next_attempt_at = ? WHERE seq = ? AND replays = coalesce(?, replays)');
  const defer = db.prepare('UPDATE deliveries SET next_attempt_at = ? WHERE seq = ? AND replays = coalesce(?, replays)');
  // An older copy (lower version) does not replace a newer one: a sync writes a page read before a
  // webhook brought the update. Without a version on either side, the last write wins; so too when one
  // is a number and the other text (a cursor value that is neither a datetime nor a number): SQLite
  // orders every number below every text, so one such value blocked every later update (audit 12, #2).
  // A record whose data changes gets a new seq, after every other (records are never deleted, so
  // max(seq) only grows): the listing in seq order is then the order of last change, and a reader
  // that keeps its place finds there what was added or changed since. The same data again keeps its seq.
  const upsert = db.prepare("INSERT INTO records (connection, stream, pk, data, updated_at, version) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (connection, stream, pk) DO UPDATE SET seq = CASE WHEN excluded.data = records.data THEN records.seq ELSE (SELECT max(seq) FROM records) + 1 END, data = excluded.data, updated_at = excluded.updated_at, version = excluded.version WHERE excluded.version IS NULL OR records.version IS NULL OR (typeof(excluded.version) = 'text') <> (typeof(records.version) = 'text') OR excluded.version >= records.version");
  const prunable = db.prepare("SELECT seq, connector, connection, delivery_id FROM deliveries WHERE seq < ? AND (? OR status = 'done') AND received_at < ? ORDER BY seq LIMIT ?").raw();
  const deleteBodies = db.prepare('DELETE FROM delivery_bodies WHERE seq IN (SELECT value FROM json_each(?))');
  const deleteDeliveries = db.prepare('DELETE FROM deliveries WHERE seq IN (SELECT value FROM json_each(?))');
  const probeTx = db.transaction((at) => {
    const seq = Number(insert.run('', '', '', '', at, at, null).lastInsertRowid);
    insertBody.run(seq, '{}', Buffer.alloc(0));
    deleteBodies.run('[' + seq + ']');
    deleteDeliveries.run('[' + seq + ']');
  });

  // The dedupe index: a 30-bit FNV-1a hash of connector, connection and delivery id → the seq of the
  // delivery, or an array of seqs when different keys share a hash (rare; each is checked against its
  // row). Small integers both sides: ~30 bytes an entry, where the key strings took ~160.
  const mask = 2 ** ((options && options.hashBits) || 30) - 1;
  function mix(h, text) {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return Math.imul(h, 0x01000193); // ends the field: ('ab', 'c') and ('a', 'bc') hash apart (and matches are checked anyway)
  }
  const hashOf = (connector, connection, id) => (mix(mix(mix(0x811c9dc5, connector), connection), id) >>> 0) & mask;
  let keys = null;
  function add(hash, seq) {
    const entry = keys.get(hash);
    keys.set(hash, entry === undefined ? seq : typeof entry === 'number' ? [entry, seq] : entry.concat(seq));
  }
  function remove(hash, seq) {
    const entry = keys.get(hash);
    if (entry === seq) keys.delete(hash);
    else if (Array.isArray(entry)) {
      const rest = entry.filter((s) => s !== seq);
      keys.set(hash, rest.length === 1 ? rest[0] : rest);
    }
  }
  /** [seq, published] of the stored delivery with this key, if there is one. */
  function find(hash, connector, connection, id) {
    const entry = keys.get(hash);
    if (entry === undefined) return undefined;
    for (const seq of typeof entry === 'number' ? [entry] : entry) {
      const row = identity.get(seq);
      if (row && row.delivery_id === id && row.connection === connection && row.connector === connector) return [seq, row.published_at !== null];
    }
    return undefined;
  }

  // The files this writer holds, by identity: a path that names another file (deleted, replaced,
  // moved) no longer leads to what was written. dev:ino, read with stat.
  const fileIdentity = (path) => { try { const s = fs.statSync(path); return s.dev + ':' + s.ino; } catch { return null; } };
  const dbIdentity = fileIdentity(db.name);
  let lock = null;
  let lockIdentity = null;
  function lockWriter() {
    if (lock) return;
    const path = db.name + '-inbox.lock';
    lock = new Database(path, { timeout: 0 });
    try {
      lock.exec('BEGIN EXCLUSIVE');
      lockIdentity = fileIdentity(path);
    } catch (error) {
      lock.close();
      lock = null;
      const refused = new Error('another process is writing webhook deliveries to ' + db.name + ' (its inbox lock ' + path + ' is held: ' + String((error && error.message) || error) + ')');
      refused.code = 'STORE_IN_USE';
      throw refused;
    }
  }
  /**
   * Before a write: is this still the one writer of the database at this path? The lock file may
   * have been deleted (it looks stale): take a new one, unless another process took it meanwhile,
   * which then is the writer. After the commit: is the database at the path still the file written?
   * Deleted or replaced, it would take what is acknowledged with it.
   */
  function checkLock() {
    if (lock && fileIdentity(db.name + '-inbox.lock') === lockIdentity) return;
    if (lock) lock.close();
    lock = null;
    lockWriter();
  }
  function checkDatabase() {
    if (fileIdentity(db.name) === dbIdentity) return;
    const replaced = new Error('the database file ' + db.name + ' was deleted or replaced while this process was writing to it; what it stored since is not at that path. Restart the service (on the data directory with the right gwi.db)');
    replaced.code = 'STORE_REPLACED';
    throw replaced;
  }
  function loadKeys() {
    if (keys) return;
    lockWriter();
    keys = new Map();
    try {
      for (const [seq, connector, connection, id] of db.prepare('SELECT seq, connector, connection, delivery_id FROM deliveries').raw().iterate()) add(hashOf(connector, connection, id), seq);
    } catch (error) {
      keys = null;
      throw error;
    }
  }

  // NewDelivery.json: whether the body is JSON, which ingest would otherwise parse on its event loop.
  // SQLite's json_valid answers in C in half JSON.parse's time and leaves no garbage: JSON.parse built
  // the whole payload only to drop it (docs/performance.md, Session 12). It takes exactly what JSON.parse
  // takes (RFC 8259; a differential test holds it to that), but for two cases: its text ends at a NUL
  // byte, which JSON never has, so a body with one goes to JSON.parse; and it refuses nesting deeper
  // than 1,000, which JSON.parse takes. JSON.parse therefore decides every body json_valid does not
  // accept, and gives the reason (same decoding as Buffer#toString).
  const jsonValid = db.prepare('SELECT json_valid(CAST(? AS TEXT))').pluck();
  function notJson(body) {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (bytes.indexOf(0) === -1 && jsonValid.get(bytes) === 1) return null;
    try {
      JSON.parse(bytes.toString('utf8'));
      return null;
    } catch (error) {
      return String((error && error.message) || error);
    }
  }
  function insertOne(d, added) {
    if (d[9]) {
      const problem = notJson(d[8]);
      if (problem !== null) return [0, false, false, problem];
    }
    const hash = hashOf(d[1], d[2], d[3]);
    const seen = find(hash, d[1], d[2], d[3]);
    if (seen) return [seen[0], true, seen[1]];
    const seq = Number(insert.run(d[1], d[2], d[3], d[4], d[5], d[5], d[6]).lastInsertRowid);
    insertBody.run(seq, d[7], d[8]);
    add(hash, seq);
    added.push(hash, seq);
    return [seq, false, false];
  }
  const insertTx = db.transaction((items, added) => items.map((d) => insertOne(d, added)));
  function upsertBatches(connection, batches) {
    const now = Date.now();
    let n = 0;
    // Counts the rows written: an older copy than the stored one is not (see upsert).
    for (const batch of batches) for (const r of batch.records) n += upsert.run(connection, batch.stream, r.key, JSON.stringify(r.data), now, r.version === undefined ? null : r.version).changes;
    return n;
  }
  const pruneTx = db.transaction((below, before, limit, anyStatus) => {
    const rows = prunable.all(below, anyStatus ? 1 : 0, before, limit);
    if (rows.length > 0) {
      const list = JSON.stringify(rows.map((row) => row[0]));
      deleteBodies.run(list);
      deleteDeliveries.run(list);
    }
    return rows;
  });

  return {
    insertAll(items) {
      loadKeys();
      checkLock();
      const added = [];
      let replies;
      try {
        replies = insertTx(items, added);
      } catch (error) {
        // Rolled back: forget the keys of rows that are not there.
        for (let i = 0; i < added.length; i += 2) remove(added[i], added[i + 1]);
        throw error;
      }
      checkDatabase();
      return replies;
    },
    settle: db.transaction((outcomes) => {
      for (const o of outcomes) {
        // Records of a stale outcome are still written: upserts are idempotent, and the replay maps them again.
        if (o.done) { upsertBatches(o.connection, o.batches); done.run(o.seq, o.replays); }
        else if (o.wait) defer.run(o.nextAttemptAt, o.seq, o.replays);
        else fail.run(o.nextAttemptAt === null ? 'dead' : 'failed', String(o.error).slice(0, 2000), o.nextAttemptAt, o.seq, o.replays);
      }
      return null;
    }),
    upsert: db.transaction(upsertBatches),
    redoable(write) {
      if (db.pragma('synchronous', { simple: true }) !== 2) return write();
      db.pragma('synchronous = NORMAL');
      try {
        return write();
      } finally {
        db.pragma('synchronous = FULL');
      }
    },
    published(seq, at) { published.run(at, seq); return null; },
    probe(at) {
      loadKeys();
      checkLock();
      probeTx(at);
      checkDatabase();
      return null;
    },
    lookup(keys) {
      loadKeys();
      const seqs = [];
      for (const [connector, connection, id] of keys) {
        const seen = find(hashOf(connector, connection, id), connector, connection, id);
        if (seen) seqs.push(seen[0]);
      }
      return seqs;
    },
    prune(below, before, limit, anyStatus) {
      // Its own transaction, never inside another: keys leave the Map only once their rows are gone for good.
      const rows = pruneTx(below, before, limit, anyStatus);
      if (keys) for (const [seq, connector, connection, id] of rows) remove(hashOf(connector, connection, id), seq);
      return rows.length;
    },
    close() { if (lock) lock.close(); },
    lockWriter,
    loadKeys,
  };
}
`;

export interface InlineInboxCore extends InboxCore {
  /** Takes the writer lock now (refused with STORE_IN_USE when another process holds it). */
  lockWriter(): void;
  /** Takes the writer lock and loads the dedupe keys now (otherwise on the first insert). */
  loadKeys(): void;
  close(): void;
}

/**
 * The same core on the caller's connection (the `inline` inbox). `hashBits` (default 30) sizes the
 * dedupe hash; tests make it tiny to force collisions.
 */
export function createInboxCore(db: Database, DatabaseClass: unknown, options: { hashBits?: number } = {}): InlineInboxCore {
  // The source is ours, a constant: evaluating it here is what lets both modes share one write path.
  const factory = new Function(`${INBOX_CORE_SOURCE}; return createInboxCore;`)() as (db: Database, Database: unknown, options: { hashBits?: number; fs: typeof fs }) => InlineInboxCore;
  return factory(db, DatabaseClass, { ...options, fs });
}

export function toInsertItem(req: number, d: NewDelivery): InsertItem {
  return [req, d.connector, d.connection, d.deliveryId, d.event, d.receivedAt, d.contentType ?? null, JSON.stringify(d.headers), d.body, d.json === true];
}

export function toInsertResult(d: NewDelivery, [seq, duplicate, published, invalidJson]: InsertReply): InsertResult {
  return { id: d.deliveryId, seq, duplicate, published, ...(invalidJson === undefined ? {} : { invalidJson }) };
}
