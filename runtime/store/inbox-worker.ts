import { createRequire } from 'node:module';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { DeliveryOutcome, InsertResult, NewDelivery, RecordBatch } from './types.js';

/** The store's hot writes, serialised on one worker thread (one SQLite writer: no lock waits on the event loop). */
export interface InboxWriter {
  submit(delivery: NewDelivery): Promise<InsertResult>;
  settle(outcomes: readonly DeliveryOutcome[]): Promise<void>;
  upsert(connection: string, batches: readonly RecordBatch[]): Promise<number>;
  markPublished(seq: number, at: number): Promise<void>;
  /**
   * A port on which another thread (the dispatcher's) sends the same `{ batch: [{ req, op, ... }] }`
   * messages and receives `{ ids, results | error }` replies: its writes join the inbox's queue.
   * One such port per writer.
   */
  connect(): MessagePort;
  close(): Promise<void>;
}

/**
 * The worker's code, kept as a string so the same file runs from TypeScript sources (tests) and from
 * dist/ (no separate worker entry to build or resolve). Plain CommonJS: it only needs better-sqlite3.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 10000');
// Checkpoints run on their own thread (CHECKPOINTER_SOURCE): a commit that crosses the autocheckpoint
// threshold would otherwise copy the WAL into the database and fsync it before its requests are
// answered. This high threshold is only a safety net should that thread stop.
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpoint);
const insert = db.prepare("INSERT INTO deliveries (connector, connection, delivery_id, event, status, attempts, next_attempt_at, received_at, content_type) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (connector, connection, delivery_id) DO NOTHING");
const insertBody = db.prepare('INSERT INTO delivery_bodies (seq, headers, body) VALUES (?, ?, ?)');
const existing = db.prepare('SELECT seq, published_at FROM deliveries WHERE connector = ? AND connection = ? AND delivery_id = ?');
const published = db.prepare('UPDATE deliveries SET published_at = ? WHERE seq = ?');
const done = db.prepare("UPDATE deliveries SET status = 'done', attempts = attempts + 1, error = NULL, next_attempt_at = NULL WHERE seq = ?");
const fail = db.prepare('UPDATE deliveries SET status = ?, attempts = attempts + 1, error = ?, next_attempt_at = ? WHERE seq = ?');
const upsert = db.prepare('INSERT INTO records (connection, stream, pk, data, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (connection, stream, pk) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at');
function upsertBatches(connection, batches) {
  const now = Date.now();
  let n = 0;
  for (const batch of batches) for (const r of batch.records) { upsert.run(connection, batch.stream, r.key, JSON.stringify(r.data), now); n++; }
  return n;
}
// An insert arrives as an array [req, connector, connection, deliveryId, event, receivedAt, contentType, headers, body, json]:
// cheaper to clone than an object with named keys, on the hottest path.
function insertOne(d) {
  if (d[9]) {
    const problem = notJson(d[8]);
    if (problem !== null) return [0, false, false, problem];
  }
  const info = insert.run(d[1], d[2], d[3], d[4], d[5], d[5], d[6]);
  if (info.changes === 1) {
    insertBody.run(info.lastInsertRowid, d[7], d[8]);
    return [Number(info.lastInsertRowid), false, false];
  }
  const row = existing.get(d[1], d[2], d[3]);
  return [row.seq, true, row.published_at !== null];
}
// NewDelivery.json: the parse ingest would otherwise do on its event loop (same decoding as Buffer#toString).
function notJson(body) {
  try {
    JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    return null;
  } catch (error) {
    return String((error && error.message) || error);
  }
}
const ops = {
  settle(m) {
    for (const o of m.outcomes) {
      if (o.done) { upsertBatches(o.connection, o.batches); done.run(o.seq); }
      else fail.run(o.nextAttemptAt === null ? 'dead' : 'failed', String(o.error).slice(0, 2000), o.nextAttemptAt, o.seq);
    }
    return null;
  },
  upsert(m) { return upsertBatches(m.connection, m.batches); },
  published(m) { published.run(m.at, m.seq); return null; },
};
const durable = db.transaction((items) => items.map(insertOne));
const relaxed = db.transaction((items) => items.map((m) => ops[m.op](m)));
let queue = [];
let scheduled = false;
const reqOf = (m) => (Array.isArray(m) ? m[0] : m.req);
function run(items, tx, sync, port) {
  if (items.length === 0) return;
  try {
    if (sync) db.pragma('synchronous = ' + sync);
    port.postMessage({ ids: items.map(reqOf), results: tx(items) });
  } catch (error) {
    port.postMessage({ ids: items.map(reqOf), error: String((error && error.message) || error) });
  } finally {
    if (sync) db.pragma('synchronous = ' + workerData.synchronous);
  }
}
// Writes from the dispatcher thread (its settle transactions) arrive on their own port and are
// serialised with the inbox here, so the two never wait on each other's SQLite write lock (the busy
// handler sleeps in coarse steps of milliseconds, which would show in ingest latency).
let extPort = null;
let extQueue = [];
function flush() {
  scheduled = false;
  const items = queue;
  queue = [];
  const ext = extQueue;
  extQueue = [];
  // Inbox inserts: one transaction, one fsync. Redoable writes (dispatcher outcomes, records): no fsync of their own.
  const relaxedSync = workerData.synchronous === 'FULL' ? 'NORMAL' : null;
  run(items.filter((m) => Array.isArray(m)), durable, null, parentPort);
  run(items.filter((m) => !Array.isArray(m)), relaxed, relaxedSync, parentPort);
  if (extPort) run(ext, relaxed, relaxedSync, extPort);
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    flush();
    db.close();
    if (extPort) extPort.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  if (message.port) {
    extPort = message.port;
    extPort.on('message', (m) => {
      for (const x of m.batch) extQueue.push(x);
      if (!scheduled) { scheduled = true; setImmediate(flush); }
    });
    return;
  }
  for (const m of message.batch) queue.push(m);
  if (!scheduled) { scheduled = true; setImmediate(flush); }
});
`;

/**
 * The checkpointer: a PASSIVE checkpoint every `intervalMs` on its own connection copies committed WAL
 * frames into the database file (and fsyncs it) while the inbox worker keeps committing: checkpoints
 * in WAL mode do not block writers. Off the commit path, they no longer add to request latency.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
const db = new Database(workerData.file);
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 1000');
db.pragma('wal_autocheckpoint = 0');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next time */ }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.postMessage('closed');
});
`;

/**
 * The other end of `InboxWriter.connect()`, for the thread that holds the port: settle transactions
 * in the writer's message format, each resolved when the writer committed it.
 */
export function settleThroughPort(port: MessagePort): (outcomes: readonly DeliveryOutcome[]) => Promise<void> {
  const pending = new Map<number, { resolve(): void; reject(e: Error): void }>();
  let next = 1;
  port.on('message', (reply: Reply) => {
    for (const id of reply.ids ?? []) {
      const entry = pending.get(id);
      pending.delete(id);
      if (reply.error !== undefined) entry?.reject(new Error(reply.error));
      else entry?.resolve();
    }
  });
  port.on('close', () => {
    for (const entry of pending.values()) entry.reject(new Error('the store is closed'));
    pending.clear();
  });
  return (outcomes) => new Promise<void>((resolve, reject) => {
    const req = next++;
    pending.set(req, { resolve, reject });
    port.postMessage({ batch: [{ req, op: 'settle', outcomes }] });
  });
}

interface Reply { ids?: number[]; results?: unknown[]; error?: string; closed?: boolean }

/**
 * The inbox and the dispatcher's writes on a worker thread with its own SQLite connection. Group
 * commit as in the main thread, but the fsync of each batch blocks the worker, not the event loop
 * that serves requests: on two cores, HTTP and disk waits overlap. The dispatcher's outcomes go the
 * same way, so the two never wait for each other's write lock on the event loop (SQLite's busy
 * handler sleeps in coarse steps). Each promise resolves after COMMIT returned.
 */
export function createWorkerInboxWriter(file: string, synchronous: 'FULL' | 'NORMAL'): InboxWriter {
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, synchronous, sqlitePath, autocheckpoint: 25_000 } });
  worker.unref();
  const checkpointer = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { file, synchronous, sqlitePath, intervalMs: 100 } });
  checkpointer.unref();
  checkpointer.on('error', () => {
    // The inbox worker's autocheckpoint safety net takes over.
  });
  const stopCheckpointer = () =>
    new Promise<void>((resolve) => {
      if (checkpointer.threadId === -1) return resolve();
      checkpointer.ref();
      const timer = setTimeout(() => void checkpointer.terminate().finally(resolve), 5_000);
      checkpointer.once('message', () => {
        clearTimeout(timer);
        void checkpointer.terminate().finally(resolve);
      });
      checkpointer.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      checkpointer.postMessage('close');
    });
  const pending = new Map<number, { resolve(r: unknown): void; reject(e: unknown): void }>();
  let next = 1;
  let closed: Error | undefined;
  let closing: Promise<void> | undefined;

  const failAll = (error: Error) => {
    for (const entry of pending.values()) entry.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: Reply) => {
    for (const [i, id] of (reply.ids ?? []).entries()) {
      const entry = pending.get(id);
      if (!entry) continue;
      pending.delete(id);
      if (reply.error !== undefined) entry.reject(new Error(reply.error));
      else entry.resolve(reply.results![i]);
    }
    if (pending.size === 0) worker.unref();
  });
  worker.on('error', (error) => {
    closed = error;
    failAll(error);
  });
  worker.on('exit', () => {
    closed ??= new Error('the inbox writer stopped');
    failAll(closed);
  });

  // Requests parsed in the same turn of the event loop go to the worker as one message: one
  // structured clone and one wake-up of the worker per turn rather than per delivery.
  let outbox: unknown[] = [];
  const post = () => {
    const batch = outbox;
    outbox = [];
    // After a failure, failAll has already rejected every pending request, these included.
    if (!closed) worker.postMessage({ batch });
  };

  /** `message(req)` builds the message for request number `req`. */
  function send(message: (req: number) => unknown): Promise<unknown> {
    if (closed) return Promise.reject(closed);
    return new Promise((resolve, reject) => {
      const req = next++;
      pending.set(req, { resolve, reject });
      worker.ref();
      if (outbox.length === 0) setImmediate(post);
      outbox.push(message(req));
    });
  }

  return {
    async submit(delivery) {
      const [seq, duplicate, published, invalidJson] = (await send((req) => [
        req, delivery.connector, delivery.connection, delivery.deliveryId, delivery.event, delivery.receivedAt, delivery.contentType ?? null, JSON.stringify(delivery.headers), delivery.body, delivery.json === true,
      ])) as [number, boolean, boolean, string?];
      return { id: delivery.deliveryId, seq, duplicate, published, ...(invalidJson === undefined ? {} : { invalidJson }) };
    },
    async settle(outcomes) {
      await send((req) => ({ req, op: 'settle', outcomes }));
    },
    async markPublished(seq, at) {
      await send((req) => ({ req, op: 'published', seq, at }));
    },
    async upsert(connection, batches) {
      return (await send((req) => ({ req, op: 'upsert', connection, batches }))) as number;
    },
    connect() {
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ port: port2 }, [port2]);
      return port1;
    },
    close() {
      closing ??= stopCheckpointer().then(() => new Promise<void>((resolve) => {
        if (closed) return resolve();
        worker.ref();
        const done = () => {
          closed ??= new Error('the store is closed');
          failAll(closed);
          void worker.terminate().finally(resolve);
        };
        worker.on('message', (reply: Reply) => reply.closed && done());
        worker.once('exit', done);
        if (outbox.length > 0) post();
        worker.postMessage('close');
      }));
      return closing;
    },
  };
}
