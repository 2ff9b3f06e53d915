import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import type { LoadedManifest } from '../manifest/index.js';
import type { Logger } from '../sync/types.js';
import type { Store } from '../store/types.js';
import { retryDelay, type BackoffOptions } from './backoff.js';
import { THREAD_STOPPED } from './dispatcher.js';
import { IN_HAND, SETTLES, type ConnectionForDispatch, type ConnectionUpdate, type DispatchWorkerData, type FromDispatcher, type ToDispatcher } from './dispatch-protocol.js';
import type { Dispatcher } from './dispatcher.js';
import type { ServiceMetrics } from './metrics.js';

export interface ThreadDispatcherOptions {
  dbFile: string;
  synchronous?: 'FULL' | 'NORMAL';
  /** The manifests the service loaded: the thread parses their text (a LoadedManifest does not cross threads). */
  manifests: ReadonlyArray<Pick<LoadedManifest, 'file' | 'text'>>;
  metrics?: Pick<ServiceMetrics, 'dispatched'>;
  logger?: Logger;
  maxAttempts?: number;
  backoff?: BackoffOptions;
  pollMs?: number;
  /** DispatcherOptions.waitMs. */
  waitMs?: number;
  /**
   * Store.inboxPort: the dispatcher's writes join the inbox writer's queue instead of taking the
   * write lock themselves. A function: a thread started again gets a port of its own.
   */
  inboxPort?: () => MessagePort | undefined;
  /**
   * Where a delivery that was in hand when the thread died is counted as a failed attempt (then
   * dead, as any failure), so that it cannot stop mapping for good.
   */
  store: Pick<Store, 'getDelivery' | 'failDelivery'>;
  /** The thread's heap limits (tests make them small); Node's defaults otherwise. */
  resourceLimits?: ResourceLimits;
  /** First wait before the thread is started again after it died; doubles up to a minute. Default 1 s. */
  restartMs?: number;
  now?: () => number;
}

export interface ThreadDispatcher extends Dispatcher {
  /** The connection's config (secrets opened) for the thread's mappings; call on every (re)activation. */
  setConnection(row: ConnectionForDispatch): void;
  /**
   * The connection is gone: its deliveries left in the inbox fail as those of an unknown connection
   * (once it is no longer stored; see DispatcherOptions.target).
   */
  removeConnection(id: string): void;
  /** Webhook requests in flight on this thread: the dispatcher thread yields CPU while > 0. */
  readonly inFlight: Int32Array;
}

/**
 * The worker entry beside this file: compiled JS in dist/ (what `serve` runs). From the TypeScript
 * sources (tests) the thread registers tsx's loader first: `--import tsx` in a worker's execArgv does
 * not apply to its entry module on Node 20.
 */
function workerEntry(): { source: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { source: new URL('./dispatch-worker.js', import.meta.url), eval: false };
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./dispatch-worker.ts', import.meta.url).href;
  return { source: `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, eval: true };
}

/**
 * The dispatcher on its own thread (dispatch-worker.ts), so the HTTP event loop only verifies,
 * parses and hands deliveries to the inbox: mapping, record upserts and settling take none of its
 * time. Same Dispatcher interface as createDispatcher; wake-ups are coalesced here (one message per
 * 5 ms at most, not one per request).
 *
 * A thread that dies (a delivery whose mapping takes more memory than the heap has, or a bug) is
 * started again, after a wait that doubles up to a minute, with the connections it had. The delivery
 * it had in hand (shared memory: it writes the seq before it maps one) is counted as a failed
 * attempt first: otherwise it is read first again, kills the new thread too, and no delivery of any
 * connection is mapped any more (audit 12, #1). After `maxAttempts` such deaths it is dead, with
 * the reason, and the others go on.
 */
export function createThreadDispatcher(options: ThreadDispatcherOptions): ThreadDispatcher {
  const busy = new SharedArrayBuffer(4);
  const progress = new Float64Array(new SharedArrayBuffer(16));
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 5;
  const firstRestartMs = options.restartMs ?? 1_000;
  const entry = workerEntry();
  // The manifests as the service loaded them, for every thread (DispatchWorkerData.manifests).
  const manifests = options.manifests.map(({ file, text }) => ({ file, text }));
  // What a new thread is told: every connection as last updated, and whether it was started.
  const connections = new Map<string, ConnectionForDispatch>();
  let started = false;
  let stopping: Promise<void> | undefined;
  let stopped: (() => void) | undefined;
  const drains = new Map<number, { resolve(n: number): void; reject(e: Error): void }>();
  let nextDrain = 1;
  let wakeQueued = false;
  // Set while no thread runs: why the last one stopped.
  let down: string | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let restartMs = firstRestartMs;
  let thread = spawn();

  function spawn() {
    // Connection updates go on a channel of their own, which the thread reads before each read of the
    // inbox: as message events they could be applied after a delivery stored later (dispatch-worker.ts).
    const updates = new MessageChannel();
    updates.port1.unref();
    const inboxPort = options.inboxPort?.();
    const worker = new Worker(entry.source, {
      eval: entry.eval,
      workerData: {
        dbFile: options.dbFile, synchronous: options.synchronous ?? 'FULL', manifests, busy,
        progress: progress.buffer as SharedArrayBuffer, connectionPort: updates.port2,
        ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
        ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
        ...(inboxPort ? { inboxPort } : {}),
      } satisfies DispatchWorkerData,
      transferList: [updates.port2, ...(inboxPort ? [inboxPort] : [])],
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    worker.unref();
    const spawnedAt = now();
    progress[SETTLES] = 0;
    const self = { worker, updates, exited: undefined as Error | undefined, error: undefined as string | undefined };
    for (const row of connections.values()) updates.port1.postMessage({ t: 'connection', row } satisfies ConnectionUpdate);
    if (started) worker.postMessage({ t: 'start' } satisfies ToDispatcher);
    worker.on('message', (message: FromDispatcher) => {
      switch (message.t) {
        case 'drained': {
          const drain = drains.get(message.id);
          drains.delete(message.id);
          if (drains.size === 0 && !stopped) worker.unref();
          if (message.error !== undefined) drain?.reject(new Error(message.error));
          else drain?.resolve(message.handled ?? 0);
          return;
        }
        case 'log':
          options.logger?.[message.level](message.obj, message.msg);
          return;
        case 'counts':
          for (const [connector, result, n] of message.counts) options.metrics?.dispatched.inc({ connector, result }, n);
          return;
        case 'stopped':
          stopped?.();
          return;
      }
    });
    worker.on('error', (error) => {
      self.error = error.message;
    });
    worker.on('exit', () => {
      self.exited ??= new Error('the dispatcher thread stopped');
      updates.port1.close();
      for (const drain of drains.values()) drain.reject(self.exited);
      drains.clear();
      if (stopping) return stopped?.();
      const reason = self.error ?? 'it exited';
      const progressed = progress[SETTLES]! > 0;
      const blamed = blame(reason);
      // A thread that wrote what it mapped before it died, or ran a while, is started again soon: a
      // delivery to blame is dealt with (it is mapped apart, and dead in the end). One that dies
      // before it writes anything (every mapping fails the same way, the database cannot be opened)
      // is started later and later: it would blame a delivery a second otherwise, all innocent.
      if ((blamed && progressed) || now() - spawnedAt > 60_000) restartMs = firstRestartMs;
      down = `the dispatcher thread stopped (${reason})${blamed ? ` while delivery ${blamed} was mapped or its records written` : ''}: deliveries are stored but not mapped until it starts again, in ${restartMs / 1000} s`;
      options.logger?.error({ err: reason, ...(blamed ? { delivery: blamed } : {}) }, down);
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        down = undefined;
        thread = spawn();
        options.logger?.info('the dispatcher thread started again');
      }, restartMs);
      restartTimer.unref();
      restartMs = Math.min(60_000, restartMs * 2);
    });
    return self;
  }

  /** Counts a failed attempt for the delivery the dead thread had in hand; its id, if there was one. */
  function blame(reason: string): string | undefined {
    const seq = progress[IN_HAND]!;
    progress[IN_HAND] = 0;
    if (!(seq > 0)) return undefined;
    try {
      const delivery = options.store.getDelivery(seq);
      // Done (its settle committed just before the thread died) or dead already: nothing to count.
      if (!delivery || delivery.status === 'done' || delivery.status === 'dead') return undefined;
      const attempts = delivery.attempts + 1;
      const dead = attempts >= maxAttempts;
      const fix = /memory/i.test(reason) ? 'a `record` that selects fewer records, or more memory (NODE_OPTIONS=--max-old-space-size=<MiB>), lets it through' : 'the service log has the thread\'s last lines';
      options.store.failDelivery(seq, `${THREAD_STOPPED} (${reason}); ${fix}`, dead ? null : now() + retryDelay(attempts, options.backoff));
      options.metrics?.dispatched.inc({ connector: delivery.connector, result: dead ? 'dead' : 'retry' });
      return `${delivery.id} of connection ${delivery.connection} (attempt ${attempts} of ${maxAttempts}${dead ? ', now dead' : ''})`;
    } catch (error) {
      options.logger?.error({ err: error instanceof Error ? error.message : String(error) }, `the delivery in hand (seq ${seq}) could not be marked failed`);
      return undefined;
    }
  }

  const post = (message: ToDispatcher) => {
    if (!thread.exited) thread.worker.postMessage(message);
  };
  const update = (message: ConnectionUpdate) => {
    if (message.t === 'connection') connections.set(message.row.id, message.row);
    else connections.delete(message.id);
    if (!thread.exited) thread.updates.port1.postMessage(message);
  };

  return {
    inFlight: new Int32Array(busy),
    setConnection: (row) => update({ t: 'connection', row }),
    removeConnection: (id) => update({ t: 'removed', id }),
    start() {
      started = true;
      post({ t: 'start' });
    },
    wake() {
      if (wakeQueued) return;
      wakeQueued = true;
      setTimeout(() => {
        wakeQueued = false;
        post({ t: 'wake' });
      }, 5).unref();
    },
    drainOnce() {
      if (thread.exited) return Promise.reject(new Error(down ?? 'the dispatcher thread stopped'));
      return new Promise<number>((resolve, reject) => {
        const id = nextDrain++;
        drains.set(id, { resolve, reject });
        thread.worker.ref();
        post({ t: 'drain', id });
      });
    },
    failure: () => (stopping ? undefined : down),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (restartTimer) clearTimeout(restartTimer);
        if (thread.exited) return resolve();
        const { worker } = thread;
        worker.ref();
        const timer = setTimeout(() => void worker.terminate(), 10_000);
        stopped = () => {
          clearTimeout(timer);
          void worker.terminate().finally(resolve);
        };
        post({ t: 'stop' });
      });
      return stopping;
    },
  };
}
