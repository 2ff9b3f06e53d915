/**
 * The dispatcher's thread (see dispatcher-thread.ts): its own SQLite connection (WAL lets it read
 * and settle while the inbox worker commits), the manifests loaded again from their files, and the
 * same createDispatcher as the in-thread mode. The HTTP thread then only verifies, parses and hands
 * deliveries to the inbox.
 */
import { errorLogFields } from '../errors/index.js';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { createLocalBus } from '../bus/local-bus.js';
import { parseManifest, type LoadedManifest } from '../manifest/index.js';
import { createSqliteStore } from '../store/index.js';
import { writesThroughPort } from '../store/inbox-worker.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../sync/types.js';
import { IN_HAND, SETTLES, type ConnectionForDispatch, type ConnectionUpdate, type DispatchWorkerData, type FromDispatcher, type ToDispatcher } from './dispatch-protocol.js';
import { createPipelineCache } from './pipelines.js';
import { createDispatcher, restFactorFor } from './dispatcher.js';

/**
 * Mapping is background work: on Linux this thread's nice value is raised to 19, so whenever ingest
 * (the HTTP and inbox writer threads) and mapping both want a core, the kernel runs ingest, and
 * mapping gets the cores' idle time. Elsewhere, or if refused, the thread keeps the process's
 * priority and the dispatcher's own busy slicing is what yields.
 */
function lowerPriority(): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, 19);
    return true;
  } catch {
    return false;
  }
}
const port = parentPort!;
const data = workerData as DispatchWorkerData;
const niced = lowerPriority();
const send = (message: FromDispatcher) => port.postMessage(message);
const log = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object | string, msg?: string) => send({ t: 'log', level, obj, ...(msg !== undefined ? { msg } : {}) });
const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
if (!niced) logger.info('dispatcher thread: could not lower its priority; it yields to ingest by its own slicing only');

// Counts go back to the HTTP thread's Prometheus counter in batches, not one message per delivery.
const counts = new Map<string, [string, string, number]>();
const flushCounts = () => {
  if (counts.size === 0) return;
  send({ t: 'counts', counts: [...counts.values()] });
  counts.clear();
};
setInterval(flushCounts, 250).unref();
const metrics = {
  dispatched: {
    inc({ connector, result }: { connector: string; result: string }) {
      const key = `${connector}\u0000${result}`;
      const entry = counts.get(key);
      if (entry) entry[2]++;
      else counts.set(key, [connector, result, 1]);
    },
  },
};

const manifests = new Map<string, LoadedManifest>();
const connections = new Map<string, ConnectionForDispatch>();
const pipelineFor = createPipelineCache();

// The dispatcher never reads connection secrets from the store (the HTTP thread sends configs opened).
const noSecrets = {
  seal(): string { throw new Error('the dispatcher thread does not seal secrets'); },
  open(): string { throw new Error('the dispatcher thread does not open secrets'); },
};
const ownStore = createSqliteStore({ file: data.dbFile, secretBox: noSecrets, synchronous: data.synchronous, inbox: 'inline' });
const writes = data.inboxPort && writesThroughPort(data.inboxPort);
const store: Store = writes ? { ...ownStore, settleDeliveries: writes.settle, upsertRecords: writes.upsert } : ownStore;

const connectionUpdates: { [K in ConnectionUpdate['t']]: (m: Extract<ConnectionUpdate, { t: K }>) => void } = {
  connection: ({ row }) => void connections.set(row.id, row),
  removed: ({ id }) => void connections.delete(id),
};
/**
 * Applies every connection update the HTTP thread has posted so far. Message events are not enough:
 * one posted before a delivery was stored may not have been dispatched yet when a pass reads that
 * delivery (the thread was busy loading manifests at start-up, or is in the middle of a pass), and
 * the delivery then met an unknown connection (audit 10, API #3). postMessage puts the message in
 * this port's queue before it returns, and the service posts a connection before it accepts any
 * webhook for it, so reading the queue synchronously before each read of the inbox (and again on a
 * target miss) orders every update before the deliveries stored after it.
 */
function applyConnectionUpdates(): void {
  for (let received = receiveMessageOnPort(data.connectionPort); received; received = receiveMessageOnPort(data.connectionPort)) {
    const update = received.message as ConnectionUpdate;
    (connectionUpdates[update.t] as (m: ConnectionUpdate) => void)(update);
  }
}

const inFlight = new Int32Array(data.busy);
const progress = new Float64Array(data.progress);
const dispatcher = createDispatcher({
  store, bus: createLocalBus(), metrics, logger,
  inHand: (seq) => void (progress[IN_HAND] = seq),
  settled: () => void progress[SETTLES]!++,
  busy: () => Atomics.load(inFlight, 0) > 0,
  // While requests are in flight, settle 16 deliveries at a time: each settle is a transaction on
  // the inbox writer thread, and an inbox commit arriving meanwhile waits for it (~20 µs a delivery).
  busyBatchSize: 16,
  busyRestFactor: () => restFactorFor(Atomics.load(inFlight, 0)),
  ...(data.maxAttempts !== undefined ? { maxAttempts: data.maxAttempts } : {}),
  ...(data.backoff ? { backoff: data.backoff } : {}),
  ...(data.pollMs !== undefined ? { pollMs: data.pollMs } : {}),
  ...(data.waitMs !== undefined ? { waitMs: data.waitMs } : {}),
  beforeRead: applyConnectionUpdates,
  target(connectionId) {
    if (!connections.has(connectionId)) applyConnectionUpdates();
    const row = connections.get(connectionId);
    if (!row) return undefined;
    const manifest = manifests.get(row.connector);
    // Not "not configured": the connection runs, but this thread could not load its manifest (logged at start).
    if (!manifest) throw new Error(`connector ${row.connector} of connection ${connectionId} could not be loaded in the dispatcher thread; see the log of its start and restart the service`);
    return { manifest, config: row.config, secrets: row.secrets, pipelineFor: pipelineFor(manifest) };
  },
});

const ready = (async () => {
  for (const { file, text } of data.manifests) {
    try {
      const manifest = parseManifest(text, file);
      manifests.set(manifest.node.name, manifest);
    } catch (error) {
      logger.error({ manifest: file, ...errorLogFields(error) }, 'dispatcher thread: manifest skipped');
    }
  }
})();

const handlers: { [K in ToDispatcher['t']]: (m: Extract<ToDispatcher, { t: K }>) => void | Promise<void> } = {
  start: () => dispatcher.start(),
  wake: () => dispatcher.wake(),
  async drain({ id }) {
    try {
      const handled = await dispatcher.drainOnce();
      flushCounts();
      send({ t: 'drained', id, handled });
    } catch (error) {
      send({ t: 'drained', id, error: error instanceof Error ? error.message : String(error) });
    }
  },
  async stop() {
    await dispatcher.stop();
    flushCounts();
    await ownStore.close();
    data.inboxPort?.close();
    data.connectionPort.close();
    send({ t: 'stopped' });
  },
};

// Messages wait for the manifests, then run in arrival order. Connection updates do not wait: they
// are on their own port, read before each read of the inbox (applyConnectionUpdates).
let chain: Promise<void> = ready;
port.on('message', (message: ToDispatcher) => {
  chain = chain.then(() => (handlers[message.t] as (m: ToDispatcher) => void | Promise<void>)(message));
});
