import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Logger } from '../sync/types.js';
import type { BackoffOptions } from './backoff.js';
import type { ConnectionForDispatch, ConnectionUpdate, DispatchWorkerData, FromDispatcher, ToDispatcher } from './dispatch-protocol.js';
import type { Dispatcher } from './dispatcher.js';
import type { ServiceMetrics } from './metrics.js';

export interface ThreadDispatcherOptions {
  dbFile: string;
  synchronous?: 'FULL' | 'NORMAL';
  manifestFiles: string[];
  metrics?: Pick<ServiceMetrics, 'dispatched'>;
  logger?: Logger;
  maxAttempts?: number;
  backoff?: BackoffOptions;
  pollMs?: number;
  /** DispatcherOptions.waitMs. */
  waitMs?: number;
  /** Store.inboxPort(): the dispatcher's writes join the inbox writer's queue instead of taking the write lock themselves. */
  inboxPort?: MessagePort;
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

/** True when every manifest can be loaded again in a thread (it came from a file that still exists). */
export const manifestsReloadable = (files: readonly string[]) => files.every((file) => file !== '<inline>' && existsSync(file));

/**
 * The dispatcher on its own thread (dispatch-worker.ts), so the HTTP event loop only verifies,
 * parses and hands deliveries to the inbox: mapping, record upserts and settling take none of its
 * time. Same Dispatcher interface as createDispatcher; wake-ups are coalesced here (one message per
 * 5 ms at most, not one per request).
 */
export function createThreadDispatcher(options: ThreadDispatcherOptions): ThreadDispatcher {
  const busy = new SharedArrayBuffer(4);
  // Connection updates go on a channel of their own, which the thread reads before each read of the
  // inbox: as message events they could be applied after a delivery stored later (dispatch-worker.ts).
  const updates = new MessageChannel();
  updates.port1.unref();
  const entry = workerEntry();
  const worker = new Worker(entry.source, {
    eval: entry.eval,
    workerData: {
      dbFile: options.dbFile, synchronous: options.synchronous ?? 'FULL', manifestFiles: options.manifestFiles, busy,
      connectionPort: updates.port2,
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}),
      ...(options.inboxPort ? { inboxPort: options.inboxPort } : {}),
    } satisfies DispatchWorkerData,
    transferList: [updates.port2, ...(options.inboxPort ? [options.inboxPort] : [])],
  });
  worker.unref();
  const drains = new Map<number, { resolve(n: number): void; reject(e: Error): void }>();
  let nextDrain = 1;
  let stopped: (() => void) | undefined;
  let exited: Error | undefined;
  let threadError: string | undefined;
  const post = (message: ToDispatcher) => {
    if (!exited) worker.postMessage(message);
  };
  const update = (message: ConnectionUpdate) => {
    if (!exited) updates.port1.postMessage(message);
  };
  const settleDrainsWith = (error: Error) => {
    for (const drain of drains.values()) drain.reject(error);
    drains.clear();
  };
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
    threadError = error.message;
    options.logger?.error({ err: error.message }, 'the dispatcher thread failed');
  });
  worker.on('exit', () => {
    exited ??= new Error('the dispatcher thread stopped');
    updates.port1.close();
    if (!stopping) options.logger?.error({ err: threadError ?? 'it exited' }, 'the dispatcher thread stopped: webhooks are still stored, but none is mapped until the service restarts');
    settleDrainsWith(exited);
    stopped?.();
  });

  let wakeQueued = false;
  let stopping: Promise<void> | undefined;
  return {
    inFlight: new Int32Array(busy),
    setConnection: (row) => update({ t: 'connection', row }),
    removeConnection: (id) => update({ t: 'removed', id }),
    start: () => post({ t: 'start' }),
    wake() {
      if (wakeQueued) return;
      wakeQueued = true;
      setTimeout(() => {
        wakeQueued = false;
        post({ t: 'wake' });
      }, 5).unref();
    },
    drainOnce() {
      if (exited) return Promise.reject(exited);
      return new Promise<number>((resolve, reject) => {
        const id = nextDrain++;
        drains.set(id, { resolve, reject });
        worker.ref();
        post({ t: 'drain', id });
      });
    },
    failure: () => (exited && !stopping ? `the dispatcher thread stopped (${threadError ?? 'it exited'}): deliveries are stored but not mapped; restart the service` : undefined),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (exited) return resolve();
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
