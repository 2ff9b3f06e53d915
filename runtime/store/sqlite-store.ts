import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { StoredToken, TokenStore } from '../auth/types.js';
import type { SecretBox } from '../crypto/index.js';
import type { SecretPath } from '../config/index.js';
import { ConnectorError, createFailureLatch, ERROR_CODES, isConnectorError } from '../errors/index.js';
import type { StreamState } from '../protocol/messages.js';
import type { Logger } from '../sync/types.js';
import { createGroupCommitter } from './group-commit.js';
import { createInboxCore, toInsertItem, toInsertResult, type InlineInboxCore, type InsertItem } from './inbox-core.js';
import { createWorkerInboxWriter } from './inbox-worker.js';
import { APPLICATION_ID, MIGRATIONS } from './migrations.js';
import { openFields, sealFields, tokenContext } from './sealing.js';
import type { ConnectionRow, DeliveryStatus, DeliverySummary, InsertResult, NewDelivery, QueueCounts, RunRow, Store, StoredDelivery } from './types.js';

export interface SqliteStoreOptions {
  /** The database file, e.g. `<data>/gwi.db`. */
  file: string;
  /**
   * Seals and opens stored secrets. A function is called once the file is known to be ours: a start
   * refused with STORE_FOREIGN then creates no key file beside someone else's database.
   */
  secretBox: SecretBox | (() => SecretBox);
  /**
   * `FULL` (default): every commit fsyncs the WAL, so an acknowledged delivery survives power loss.
   * `NORMAL` survives a process crash only. See docs/service.md.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * `worker` (default): inbox commits run on a worker thread, so their fsync does not stall the
   * event loop. `inline`: on the calling thread (simpler; fine for tools and small loads).
   */
  inbox?: 'worker' | 'inline';
  /** Where openSqliteStore says that it upgraded the database's schema (one-way: see Store.schemaUpgrade). */
  logger?: Pick<Logger, 'warn'>;
}

interface DeliveryDbRow {
  seq: number; connector: string; connection: string; delivery_id: string; event: string; status: DeliveryStatus;
  attempts: number; next_attempt_at: number | null; error: string | null; received_at: number;
  content_type?: string | null; headers?: string; body?: Buffer; published_at?: number | null; replays?: number;
}

/**
 * Queue depth from the partial indexes alone. A `GROUP BY status` over the table read every done
 * delivery kept (7 days by default): ~250 ms per million on the event loop, on every /health and
 * /metrics request (docs/performance.md). INDEXED BY makes SQLite refuse to run these any other way.
 */
export const QUEUE_COUNT_SQL = {
  waiting: `SELECT status, COUNT(*) AS n FROM deliveries INDEXED BY deliveries_due WHERE status IN ('pending','failed') GROUP BY status`,
  dead: `SELECT COUNT(*) AS n FROM deliveries INDEXED BY deliveries_dead WHERE status = 'dead'`,
} as const;

/** A replay: pending again, due at the bound time, its attempts and error reset; `replays` counts it (see DeliveryOutcome.replays). */
const REPLAYED = `status = 'pending', attempts = 0, error = NULL, next_attempt_at = ?, replays = replays + 1`;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const SUMMARY_COLUMNS = 'seq, connector, connection, delivery_id, event, status, attempts, next_attempt_at, error, received_at';

/**
 * A store ready for deliveries (`Store.opened()`), for a process that writes them (serve, worker):
 * one refused start-up (STORE_IN_USE) leaves no handle or thread behind.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const store = createSqliteStore(options);
  try {
    await store.opened();
    store.resealLegacyTokens();
  } catch (error) {
    await store.close();
    throw error;
  }
  const upgrade = store.schemaUpgrade;
  if (upgrade) {
    options.logger?.warn({ file: options.file, ...upgrade },
      `${options.file} upgraded from database schema version ${upgrade.from} to ${upgrade.to}: releases that know only version ${upgrade.from} refuse it from now on (STORE_VERSION); the way back to one is a backup of gwi.db made before this start`);
  }
  return store;
}

/** The embedded store: one SQLite file in WAL mode. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
  // Created here, before SQLite does it with 0644: the database holds delivery bodies and records,
  // and SQLite gives its -wal and -shm files the database file's mode.
  try {
    writeFileSync(options.file, '', { flag: 'wx', mode: 0o600 });
  } catch {
    // It exists (left as it is), or SQLite says below why it cannot be opened.
  }
  const db = new Database(options.file);
  let box: SecretBox;
  let schemaUpgrade: Store['schemaUpgrade'];
  try {
    // Before any pragma that writes: a file that is not ours is left exactly as it was.
    const version = checkOwnDatabase(db);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    // Checkpoints copy the WAL into the database file; bigger, rarer checkpoints cost less per write.
    db.pragma('wal_autocheckpoint = 4000');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    schemaUpgrade = migrate(db, version);
    box = typeof options.secretBox === 'function' ? options.secretBox() : options.secretBox;
  } catch (error) {
    db.close();
    throw error;
  }
  // The latest run of each connection asked for (null: none), for /health, which asks for every
  // connection on every request: a query each took ~12 µs, 60 ms of event loop per request with
  // 5,000 connections. Runs are written only through this store (createRun, finishRun,
  // failInterruptedRuns), which keeps the entries right.
  const latestRuns = new Map<string, RunRow | null>();
  const lastRunStmt = db.prepare('SELECT * FROM runs WHERE connection = ? ORDER BY started_at DESC, rowid DESC LIMIT 1');

  const saveConnectionStmt = db.prepare(`INSERT INTO connections (id, connector, config, schedule, source, updated_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET connector = excluded.connector, config = excluded.config, schedule = excluded.schedule, source = excluded.source, updated_at = excluded.updated_at`);
  const saveConnection = (row: ConnectionRow, secretPaths: readonly SecretPath[]) =>
    void saveConnectionStmt.run(row.id, row.connector, JSON.stringify(sealFields(row.config, secretPaths, box, row.id)), row.schedule, row.source, Date.now());
  const deleteConnectionStmt = db.prepare('DELETE FROM connections WHERE id = ?');
  const deleteConnection = (id: string) => deleteConnectionStmt.run(id).changes === 1;

  const worker = (options.inbox ?? 'worker') === 'worker' ? createWorkerInboxWriter(options.file, options.synchronous ?? 'FULL') : undefined;
  // Inline, the same write path runs on this connection (created on first use: a store that only
  // reads, like the dispatcher thread's, never takes the inbox lock).
  let inlineCore: InlineInboxCore | undefined;
  const core = () => (inlineCore ??= createInboxCore(db, Database));
  const inline = createGroupCommitter((items: readonly InsertItem[]) => core().insertAll(items));
  const inbox = {
    submit: (d: NewDelivery): Promise<InsertResult> =>
      db.open ? (worker ? worker.submit(d) : inline.submit(toInsertItem(0, d)).then((reply) => toInsertResult(d, reply))) : Promise.reject(new Error('the store is closed')),
    async close(): Promise<void> {
      inline.flush();
      inlineCore?.close();
      await worker?.close();
    },
  };
  // One status at a time, so the rows come in index order (status, next_attempt_at, seq) and LIMIT
  // stops the scan. With `status IN ('pending','failed')` alone SQLite read every due row (4 KB
  // bodies included) into a temporary sort on each call: O(backlog) per batch, which made a
  // dispatcher catching up slower the further behind it was. The IN term is kept because it is what
  // lets the partial index be used; INDEXED BY makes that choice explicit.
  const dueStmt = db.prepare(`SELECT d.*, b.headers, b.body FROM deliveries AS d INDEXED BY deliveries_due JOIN delivery_bodies AS b ON b.seq = d.seq
    WHERE d.status IN ('pending','failed') AND d.status = ? AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.seq LIMIT ?`);
  const getDeliveryStmt = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM deliveries WHERE seq = ?`);
  const waitingCountStmt = db.prepare(QUEUE_COUNT_SQL.waiting);
  const deadCountStmt = db.prepare(QUEUE_COUNT_SQL.dead);
  // On every /health request, like the counts above; the literal status term lets it read deliveries_dead.
  const deadByConnectionStmt = db.prepare(`SELECT connection, COUNT(*) AS n FROM deliveries WHERE status = 'dead' GROUP BY connection`);
  const failStmt = db.prepare(`UPDATE deliveries SET status = ?, attempts = attempts + 1, error = ?, next_attempt_at = ? WHERE seq = ?`);

  const dbIdentity = fileIdentity(options.file);
  // The last inbox commit's failure (disk full), until a commit succeeds: a delivery's, or the
  // inbox's own test commit (InboxCore.probe), which ping() starts.
  const inboxFailure = createFailureLatch<unknown>(
    () => (worker ? worker.probe(Date.now()) : Promise.resolve().then(() => void core().probe(Date.now()))),
    { canCheck: () => db.open },
  );

  const store: Store = {
    schemaUpgrade,
    async insertDelivery(delivery) {
      try {
        const inserted = await inbox.submit(delivery);
        inboxFailure.succeeded();
        return inserted;
      } catch (cause) {
        inboxFailure.failed(cause);
        throw new ConnectorError('STORE_UNAVAILABLE', `the webhook inbox could not be written: ${cause instanceof Error ? cause.message : String(cause)}`, {
          hint: 'Check the data directory (disk space, permissions).',
          cause,
        });
      }
    },
    async markPublished(seq, at) {
      if (!db.open) throw new Error('the store is closed');
      if (worker) return worker.markPublished(seq, at);
      core().redoable(() => core().published(seq, at));
    },
    dueDeliveries(now, limit, exclude) {
      const n = limit + (exclude?.size ?? 0);
      const rows = [...(dueStmt.all('pending', now, n) as DeliveryDbRow[]), ...(dueStmt.all('failed', now, n) as DeliveryDbRow[])]
        .sort((a, b) => a.next_attempt_at! - b.next_attempt_at! || a.seq - b.seq);
      return rows.filter((row) => !exclude?.has(row.seq)).slice(0, limit).map(toStored);
    },
    completeDelivery(seq, connection, batches) {
      core().redoable(() => core().settle([{ seq, replays: null, connection, done: true, batches }]));
    },
    async settleDeliveries(outcomes) {
      if (!db.open) throw new Error('the store is closed');
      if (worker) return worker.settle(outcomes);
      core().redoable(() => core().settle(outcomes));
    },
    failDelivery(seq, error, nextAttemptAt) {
      failStmt.run(nextAttemptAt === null ? 'dead' : 'failed', error.slice(0, 2000), nextAttemptAt, seq);
    },
    replayDelivery(seq, now) {
      return db.prepare(`UPDATE deliveries SET ${REPLAYED} WHERE seq = ?`).run(now, seq).changes === 1;
    },
    async replayDeliveries(connection, status, now) {
      // Through the partial index of that status (INDEXED BY: SQLite would rather read every delivery
      // of the connection kept, done ones included), 1,000 at a time in seq order, with the event loop
      // let go in between: a replay of 100,000 holds neither the webhooks' answers nor the inbox writer
      // for long. Walking by seq, a delivery replayed in an earlier chunk and failed again meanwhile is
      // not replayed twice by one call.
      const which = status === 'dead'
        ? `SELECT seq FROM deliveries INDEXED BY deliveries_dead WHERE status = 'dead' AND connection = ? AND seq > ? ORDER BY seq LIMIT 1000`
        : `SELECT seq FROM deliveries INDEXED BY deliveries_due WHERE status IN ('pending','failed') AND status = 'failed' AND connection = ? AND seq > ? ORDER BY seq LIMIT 1000`;
      const replay = db.prepare(`UPDATE deliveries SET ${REPLAYED} WHERE seq IN (${which}) RETURNING seq`).pluck();
      let replayed = 0;
      for (let after = 0; ;) {
        const seqs = replay.all(now, connection, after) as number[];
        replayed += seqs.length;
        if (seqs.length < 1000) return replayed;
        after = Math.max(...seqs);
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    getDelivery(seq) {
      const row = getDeliveryStmt.get(seq) as DeliveryDbRow | undefined;
      return row && toSummary(row);
    },
    async findDeliveries(id, where) {
      if (!db.open) throw new Error('the store is closed');
      const keys = where.map(({ connector, connection }) => [connector, connection, id] as const);
      const seqs = worker ? await worker.lookup(keys) : core().lookup(keys);
      return seqs.flatMap((seq) => store.getDelivery(seq) ?? []);
    },
    listDeliveries({ connection, status, limit, after }) {
      const where: string[] = ['seq > ?'];
      const args: unknown[] = [after ?? 0];
      if (connection) { where.push('connection = ?'); args.push(connection); }
      if (status) { where.push('status = ?'); args.push(status); }
      // pending/failed/dead: read them from their partial index (few rows, usually) instead of walking
      // every done delivery in seq order until one matches (~80 ms per million kept). The literal terms
      // are what make the partial indexes usable (`status = ?` alone does not imply their WHERE).
      const queued = status === 'pending' || status === 'failed';
      if (queued) where.push(`status IN ('pending','failed')`);
      if (status === 'dead') where.push(`status = 'dead'`);
      const index = queued ? ' INDEXED BY deliveries_due' : status === 'dead' ? ' INDEXED BY deliveries_dead' : '';
      const rows = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM deliveries${index} WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...args, limit);
      return (rows as DeliveryDbRow[]).map(toSummary);
    },
    async pruneDeliveries(before, limit, now, anyStatus = false) {
      if (!db.open) throw new Error('the store is closed');
      // seq grows with received_at, so old rows are a prefix: find where it ends (an index-free scan
      // that visits only the old rows left), then delete done ones below it that are old. A row
      // stamped in the future (the clock was ahead for a while) does not end the prefix: it would hold
      // back every delivery after it until its stamp has aged.
      const boundary = (db.prepare('SELECT seq FROM deliveries WHERE received_at >= ? AND received_at <= ? ORDER BY seq LIMIT 1').get(before, now) as { seq: number } | undefined)?.seq ?? Number.MAX_SAFE_INTEGER;
      return worker ? worker.prune(boundary, before, limit, anyStatus) : core().redoable(() => core().prune(boundary, before, limit, anyStatus));
    },
    deadByConnection() {
      const rows = deadByConnectionStmt.all() as Array<{ connection: string; n: number }>;
      return Object.fromEntries(rows.map((row) => [row.connection, row.n]));
    },
    queueCounts() {
      const counts: QueueCounts = { pending: 0, failed: 0, dead: 0 };
      for (const row of waitingCountStmt.all() as Array<{ status: 'pending' | 'failed'; n: number }>) counts[row.status] = row.n;
      counts.dead = (deadCountStmt.get() as { n: number }).n;
      return counts;
    },
    deliveryCounts() {
      const counts: Record<DeliveryStatus, number> = { pending: 0, done: 0, failed: 0, dead: 0 };
      for (const row of db.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status').all() as Array<{ status: DeliveryStatus; n: number }>) counts[row.status] = row.n;
      return counts;
    },

    saveConnection,
    deleteConnection,
    replaceConnections: db.transaction((saves: ReadonlyArray<{ row: ConnectionRow; secretPaths: readonly SecretPath[] }>, deletes: readonly string[]) => {
      for (const id of deletes) deleteConnection(id);
      for (const { row, secretPaths } of saves) saveConnection(row, secretPaths);
    }),
    hasConnection(id) {
      return db.prepare('SELECT 1 FROM connections WHERE id = ?').get(id) !== undefined;
    },
    getConnection(id) {
      const row = db.prepare('SELECT * FROM connections WHERE id = ?').get(id) as ConnectionDbRow | undefined;
      return row && toConnection(row, box);
    },
    listConnections() {
      const listed: ReturnType<Store['listConnections']> = { readable: [], unreadable: [] };
      for (const row of db.prepare('SELECT * FROM connections ORDER BY id').all() as ConnectionDbRow[]) {
        try {
          listed.readable.push(toConnection(row, box));
        } catch (error) {
          if (!isConnectorError(error) || error.code !== 'SECRET_DECRYPT') throw error;
          listed.unreadable.push({ id: row.id, connector: row.connector, schedule: row.schedule, source: row.source, error });
        }
      }
      return listed;
    },

    async upsertRecords(connection, batches) {
      if (!db.open) throw new Error('the store is closed');
      if (worker) return worker.upsert(connection, batches);
      return core().redoable(() => core().upsert(connection, batches));
    },
    listRecords(connection, stream, limit, after) {
      const rows = db.prepare('SELECT seq, pk, data, updated_at FROM records WHERE connection = ? AND stream = ? AND seq > ? ORDER BY seq LIMIT ?')
        .all(connection, stream, after ?? 0, limit) as Array<{ seq: number; pk: string; data: string; updated_at: number }>;
      return rows.map((row) => ({ seq: row.seq, key: row.pk, data: JSON.parse(row.data) as Record<string, unknown>, updated_at: new Date(row.updated_at).toISOString() }));
    },

    loadState(connection) {
      return (db.prepare('SELECT state FROM state WHERE connection = ? ORDER BY stream').all(connection) as Array<{ state: string }>).map((row) => JSON.parse(row.state) as StreamState);
    },
    saveState(connection, state, run) {
      const stream = state.stream.stream_descriptor.name;
      db.transaction(() => {
        db.prepare(`INSERT INTO state (connection, stream, state, updated_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (connection, stream) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`).run(connection, stream, JSON.stringify(state), Date.now());
        if (run) store.recordRunProgress(run.id, run.records);
      })();
    },

    createRun(connection, trigger, now) {
      const id = randomUUID();
      db.prepare(`INSERT INTO runs (id, connection, trigger, status, started_at) VALUES (?, ?, ?, 'running', ?)`).run(id, connection, trigger, now);
      const run = store.getRun(id)!;
      latestRuns.set(connection, run);
      return run;
    },
    finishRun(id, status, records, error, now) {
      const row = db.prepare('UPDATE runs SET status = ?, records = ?, error = ?, finished_at = ? WHERE id = ? RETURNING connection').get(status, records, error, now, id) as { connection: string } | undefined;
      if (row) latestRuns.delete(row.connection);
    },
    recordRunProgress(id, records) {
      const row = db.prepare("UPDATE runs SET records = ? WHERE id = ? AND status = 'running' RETURNING connection").get(records, id) as { connection: string } | undefined;
      if (row) latestRuns.delete(row.connection);
    },
    pruneRuns(before, limit) {
      // The latest run of each connection is the one with the greatest started_at (lastRun's order):
      // a run started before another of its connection is never the latest. The correlated max reads
      // runs_by_connection, one seek per candidate.
      return db.prepare(`DELETE FROM runs WHERE rowid IN (SELECT r.rowid FROM runs AS r INDEXED BY runs_finished WHERE r.status != 'running' AND r.finished_at < ?
        AND r.started_at < (SELECT max(l.started_at) FROM runs AS l WHERE l.connection = r.connection) LIMIT ?)`).run(before, limit).changes;
    },
    getRun(id) {
      const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunDbRow | undefined;
      return row && toRun(row);
    },
    lastRun(connection) {
      let run = latestRuns.get(connection);
      if (run === undefined) {
        const row = lastRunStmt.get(connection) as RunDbRow | undefined;
        run = row ? toRun(row) : null;
        latestRuns.set(connection, run);
      }
      return run ?? undefined;
    },
    failInterruptedRuns(now) {
      latestRuns.clear();
      return db.prepare(`UPDATE runs SET status = 'failed', error = 'interrupted by a restart', finished_at = ? WHERE status = 'running'`).run(now).changes;
    },

    resealLegacyTokens() {
      const legacy = db.prepare("SELECT key, sealed FROM tokens WHERE sealed LIKE 'v1:%'");
      const update = db.prepare('UPDATE tokens SET sealed = ? WHERE key = ?');
      return db.transaction(() => {
        let resealed = 0;
        for (const { key, sealed } of legacy.all() as { key: string; sealed: string }[]) {
          let plain: string;
          try {
            plain = box.open(sealed, tokenContext(key));
          } catch {
            continue;
          }
          resealed += update.run(box.seal(plain, tokenContext(key)), key).changes;
        }
        return resealed;
      }).immediate();
    },
    tokenStore(connection): TokenStore {
      return {
        async load(key) {
          const stored = `${connection}:${key}`;
          const row = db.prepare('SELECT sealed FROM tokens WHERE key = ?').get(stored) as { sealed: string } | undefined;
          return row && (JSON.parse(box.open(row.sealed, tokenContext(stored))) as StoredToken);
        },
        async save(key, token) {
          const stored = `${connection}:${key}`;
          db.prepare(`INSERT INTO tokens (key, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`)
            .run(stored, box.seal(JSON.stringify(token), tokenContext(stored)), Date.now());
        },
      };
    },
    async opened() {
      try {
        await (worker ? worker.ready : Promise.resolve().then(() => core().loadKeys()));
      } catch (cause) {
        const code = (cause as { code?: unknown }).code === 'STORE_IN_USE' ? 'STORE_IN_USE' : 'STORE_UNAVAILABLE';
        throw new ConnectorError(code, `the webhook inbox cannot be opened: ${cause instanceof Error ? cause.message : String(cause)}`, { hint: ERROR_CODES[code].fix, cause });
      }
    },
    inboxPort: () => worker?.connect(),
    ping() {
      // Down, too, while the inbox cannot take deliveries (every webhook would get a 503): its last
      // commit failed (disk full) until one succeeds (a delivery or a probe), its writer thread
      // failed, or the database file at the path is no longer the one open here (deleted or
      // replaced: nothing written would last).
      if (inboxFailure.current() !== undefined || worker?.failure() !== undefined || fileIdentity(options.file) !== dbIdentity) return false;
      try {
        db.prepare('SELECT 1').get();
        return db.open;
      } catch {
        return false;
      }
    },
    async close() {
      if (!db.open) return;
      await inbox.close();
      db.close();
    },
  };
  return store;
}

/** A file's device and inode: which file a path names now. */
function fileIdentity(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

/** The tables every gwi-connectors database has had since its first schema version. */
const OWN_TABLES = ['connections', 'deliveries', 'records', 'state', 'runs', 'tokens'];

/**
 * Refuses a file that is not a gwi-connectors database before anything writes to it (WAL mode,
 * migrations): SQLite would otherwise adopt another application's database, adding our tables
 * beside its own. Ours carries APPLICATION_ID; one from before migration 7 has our tables instead.
 * Returns the schema version.
 */
function checkOwnDatabase(db: Database.Database): number {
  const foreign = (why: string, cause?: unknown) =>
    new ConnectorError('STORE_FOREIGN', `${db.name} is not a gwi-connectors database: ${why}`, { hint: ERROR_CODES.STORE_FOREIGN.fix, ...(cause ? { cause } : {}) });
  let version: number, applicationId: number, tables: string[];
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    applicationId = db.pragma('application_id', { simple: true }) as number;
    tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[]);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_NOTADB') throw foreign('it is not an SQLite database', error);
    throw error;
  }
  if (applicationId === APPLICATION_ID) return version;
  if (applicationId !== 0) throw foreign(`its application_id is 0x${applicationId.toString(16)} (another application's)`);
  const missing = OWN_TABLES.filter((name) => !tables.includes(name));
  if (tables.length === 0 || (version > 0 && missing.length === 0)) return version;
  throw foreign(`it has the tables ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', ...' : ''} and lacks ${missing.join(', ')}`);
}

/**
 * Applies the migrations this release has and the file lacks. Never while another process writes
 * deliveries to it (it holds the inbox lock): that one runs an older release, which the new schema
 * would break under it. Refused with STORE_IN_USE before anything changes.
 */
/** Upgrades the schema to this release's; returns the versions when an existing database was upgraded. */
function migrate(db: Database.Database, seenVersion: number): Store['schemaUpgrade'] {
  const refuseNewer = (version: number) => {
    if (version <= MIGRATIONS.length) return;
    // Its tables are another release's: reading or migrating them would misread them, or break that release.
    throw new ConnectorError('STORE_VERSION', `${db.name} has database schema version ${version}; this release of gwi-connectors knows versions up to ${MIGRATIONS.length}`, {
      hint: ERROR_CODES.STORE_VERSION.fix,
    });
  };
  refuseNewer(seenVersion);
  if (seenVersion === MIGRATIONS.length) return undefined;
  const lock = holdInboxLock(db.name, `its schema must be upgraded from version ${seenVersion} to ${MIGRATIONS.length}, which cannot run under that process`);
  try {
    // Read again under the lock: another process starting at the same time may have upgraded it meanwhile.
    const version = db.pragma('user_version', { simple: true }) as number;
    refuseNewer(version);
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[i]!);
        db.pragma(`user_version = ${i + 1}`);
      })();
    }
    return version > 0 && version < MIGRATIONS.length ? { from: version, to: MIGRATIONS.length } : undefined;
  } finally {
    lock.close();
  }
}

/**
 * The inbox writer's lock (`<db>-inbox.lock`, inbox-core.ts), held for a moment by this thread: the
 * writer takes it for good once the store is open. Refused with STORE_IN_USE when another process
 * holds it.
 */
function holdInboxLock(file: string, why: string): Database.Database {
  const path = `${file}-inbox.lock`;
  // A moment's wait: two processes starting together each hold it briefly while they check the schema.
  const lock = new Database(path, { timeout: 2_000 });
  try {
    lock.exec('BEGIN EXCLUSIVE');
    return lock;
  } catch (error) {
    lock.close();
    throw new ConnectorError('STORE_IN_USE', `another process is writing webhook deliveries to ${file} (its inbox lock ${path} is held); ${why}`, {
      hint: ERROR_CODES.STORE_IN_USE.fix,
      cause: error,
    });
  }
}

function toSummary(row: DeliveryDbRow): DeliverySummary {
  return {
    seq: row.seq, id: row.delivery_id, connector: row.connector, connection: row.connection, event: row.event, status: row.status,
    attempts: row.attempts, received_at: iso(row.received_at)!, next_attempt_at: iso(row.next_attempt_at), error: row.error,
  };
}

function toStored(row: DeliveryDbRow): StoredDelivery {
  return { ...toSummary(row), headers: JSON.parse(row.headers ?? '{}') as Record<string, string>, body: row.body ?? Buffer.alloc(0), contentType: row.content_type ?? null, publishedAt: row.published_at ?? null, replays: row.replays ?? 0 };
}

interface ConnectionDbRow { id: string; connector: string; config: string; schedule: string | null; source: 'file' | 'api' }
function toConnection(row: ConnectionDbRow, box: SecretBox): ConnectionRow {
  const sealedPaths: SecretPath[] = [];
  const config = openFields(JSON.parse(row.config), box, row.id, sealedPaths) as Record<string, unknown>;
  return { id: row.id, connector: row.connector, config, schedule: row.schedule, source: row.source, sealedPaths };
}

interface RunDbRow { id: string; connection: string; trigger: RunRow['trigger']; status: RunRow['status']; started_at: number; finished_at: number | null; records: number; error: string | null }
function toRun(row: RunDbRow): RunRow {
  return { ...row, started_at: iso(row.started_at)!, finished_at: iso(row.finished_at) };
}
