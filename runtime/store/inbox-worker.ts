import { createRequire } from 'node:module';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { INBOX_CORE_SOURCE, toInsertItem, toInsertResult, type DeliveryKey, type InsertReply } from './inbox-core.js';
import type { DeliveryOutcome, InsertResult, NewDelivery, RecordBatch } from './types.js';

/** The store's hot writes, serialised on one worker thread (one SQLite writer: no lock waits on the event loop). */
export interface InboxWriter {
  submit(delivery: NewDelivery): Promise<InsertResult>;
  settle(outcomes: readonly DeliveryOutcome[]): Promise<void>;
  upsert(connection: string, batches: readonly RecordBatch[]): Promise<number>;
  markPublished(seq: number, at: number): Promise<void>;
  /** InboxCore.probe, on the writer, at the inbox's synchronous mode. */
  probe(at: number): Promise<void>;
  /** InboxCore.prune, on the writer. */
  prune(below: number, before: number, limit: number, anyStatus: boolean): Promise<number>;
  /** InboxCore.lookup, on the writer (the dedupe keys live there). */
  lookup(keys: readonly DeliveryKey[]): Promise<number[]>;
  /**
   * Settles once the writer holds the inbox lock; rejects if it could not. It loads the dedupe keys
   * right after, before it handles any write.
   */
  ready: Promise<void>;
  /**
   * A port on which another thread (the dispatcher's) sends the same `{ batch: [{ req, op, ... }] }`
   * messages and receives `{ ids, results | error }` replies: its writes join the inbox's queue.
   * One such port per writer: connecting again (a dispatcher thread started again) closes the last.
   */
  connect(): MessagePort;
  /** Why the writer can take no more writes (its thread failed or stopped), if it cannot. */
  failure(): Error | undefined;
  close(): Promise<void>;
}

/**
 * The worker's code, kept as a string so the same file runs from TypeScript sources (tests) and from
 * dist/ (no separate worker entry to build or resolve). Plain CommonJS: it only needs better-sqlite3
 * and the write path it shares with the inline inbox (inbox-core.ts).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
${INBOX_CORE_SOURCE}
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 10000');
// Checkpoints run on their own thread (CHECKPOINTER_SOURCE): a commit that crosses the autocheckpoint
// threshold would otherwise copy the WAL into the database and fsync it before its requests are
// answered. This high threshold is only a safety net should that thread stop.
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpoint);
const core = createInboxCore(db, Database, { fs: require('node:fs') });
// The writer lock now, so that a second process on the same data directory is refused at start-up
// rather than on its first webhook. Then the dedupe keys (a scan: ~1.6 s per million deliveries
// kept): this thread handles no message before they are loaded, so writes that arrive meanwhile wait
// for them, while the caller is already serving.
try {
  core.lockWriter();
  parentPort.postMessage({ ready: true });
  core.loadKeys();
} catch (error) {
  parentPort.postMessage({ fatal: String((error && error.message) || error), code: error && error.code });
}
const ops = {
  settle: (m) => core.settle(m.outcomes),
  upsert: (m) => core.upsert(m.connection, m.batches),
  published: (m) => core.published(m.seq, m.at),
};
// Several redoable writes (see core.redoable) share one transaction; nested, each op's own becomes a savepoint.
const batchTx = db.transaction((items) => items.map((m) => ops[m.op](m)));
const redoable = (items) => core.redoable(() => batchTx(items));
let queue = [];
let scheduled = false;
const reqOf = (m) => (Array.isArray(m) ? m[0] : m.req);
function run(items, write, port) {
  if (items.length === 0) return;
  try {
    port.postMessage({ ids: items.map(reqOf), results: write(items) });
  } catch (error) {
    port.postMessage({ ids: items.map(reqOf), error: String((error && error.message) || error) });
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
  // Retention's deletes: each in its own transaction (see core.prune). Lookups only read the keys in
  // memory (and the rows they match), after this turn's inserts: no transaction.
  run(items.filter((m) => Array.isArray(m)), (inserts) => core.insertAll(inserts), parentPort);
  run(items.filter((m) => m.op in ops), redoable, parentPort);
  for (const m of items) {
    if (m.op === 'prune') run([m], () => [core.redoable(() => core.prune(m.below, m.before, m.limit, m.anyStatus))], parentPort);
    else if (m.op === 'lookup') run([m], () => [core.lookup(m.keys)], parentPort);
    else if (m.op === 'probe') run([m], () => [core.probe(m.at)], parentPort);
  }
  if (extPort) run(ext, redoable, extPort);
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    flush();
    core.close();
    db.close();
    if (extPort) extPort.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  if (message.port) {
    // A new dispatcher thread (the last one died): what the writer has received from the old one is
    // written and answered on its own port, which then closes (what it sent after that is dropped:
    // the thread is gone, and its deliveries are mapped again); both number their requests from 1,
    // so answers must not cross.
    if (extPort) {
      run(extQueue, redoable, extPort);
      extQueue = [];
      extPort.close();
    }
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
try { require('node:os').setPriority(Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()), 19); } catch {}
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
 * The other end of `InboxWriter.connect()`, for the thread that holds the port: settle and record
 * upsert transactions in the writer's message format, each resolved when the writer committed it.
 */
export function writesThroughPort(port: MessagePort): {
  settle(outcomes: readonly DeliveryOutcome[]): Promise<void>;
  upsert(connection: string, batches: readonly RecordBatch[]): Promise<number>;
} {
  const pending = new Map<number, { resolve(result: unknown): void; reject(e: Error): void }>();
  let next = 1;
  port.on('message', (reply: Reply) => {
    for (const [i, id] of (reply.ids ?? []).entries()) {
      const entry = pending.get(id);
      pending.delete(id);
      if (reply.error !== undefined) entry?.reject(new Error(reply.error));
      else entry?.resolve(reply.results?.[i]);
    }
  });
  port.on('close', () => {
    for (const entry of pending.values()) entry.reject(new Error('the store is closed'));
    pending.clear();
  });
  const send = (message: (req: number) => object) => new Promise<unknown>((resolve, reject) => {
    const req = next++;
    pending.set(req, { resolve, reject });
    port.postMessage({ batch: [message(req)] });
  });
  return {
    settle: async (outcomes) => void (await send((req) => ({ req, op: 'settle', outcomes }))),
    upsert: async (connection, batches) => (await send((req) => ({ req, op: 'upsert', connection, batches }))) as number,
  };
}

interface Reply { ids?: number[]; results?: unknown[]; error?: string; closed?: boolean; ready?: true; fatal?: string; code?: string }

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
  let opened!: { resolve(): void; reject(e: Error): void };
  const ready = new Promise<void>((resolve, reject) => (opened = { resolve, reject }));
  ready.catch(() => undefined); // also reported to every request; a caller that never awaits it is not left with an unhandled rejection
  worker.on('message', (reply: Reply) => {
    if (reply.ready) opened.resolve();
    if (reply.fatal !== undefined) {
      closed = Object.assign(new Error(reply.fatal), { code: reply.code });
      opened.reject(closed);
      failAll(closed);
    }
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
    opened.reject(error);
    failAll(error);
  });
  worker.on('exit', () => {
    closed ??= new Error('the inbox writer stopped');
    opened.reject(closed);
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
    ready,
    async submit(delivery) {
      return toInsertResult(delivery, (await send((req) => toInsertItem(req, delivery))) as InsertReply);
    },
    async lookup(keys) {
      return (await send((req) => ({ req, op: 'lookup', keys }))) as number[];
    },
    async probe(at) {
      await send((req) => ({ req, op: 'probe', at }));
    },
    async prune(below, before, limit, anyStatus) {
      return (await send((req) => ({ req, op: 'prune', below, before, limit, anyStatus }))) as number;
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
    failure: () => closed,
    connect() {
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ port: port2 }, [port2]);
      return port1;
    },
    close() {
      closing ??= stopCheckpointer().then(() => new Promise<void>((resolve) => {
        // Refused or failed: nothing to flush, but the thread (and its connection) must still go.
        if (closed) return void worker.terminate().finally(resolve);
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
