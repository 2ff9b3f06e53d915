import type { MessagePort } from 'node:worker_threads';
import type { BackoffOptions } from './backoff.js';

/** What the dispatcher thread starts with (structured-clone safe). */
export interface DispatchWorkerData {
  dbFile: string;
  synchronous: 'FULL' | 'NORMAL';
  /**
   * The manifests as text with their files, parsed (and validated) again in the thread: a
   * LoadedManifest does not cross threads. Read once, when the dispatcher is created: a thread
   * started again maps with the manifests the service runs, not with what the files hold by then.
   */
  manifests: Array<{ file: string; text: string }>;
  maxAttempts?: number;
  backoff?: BackoffOptions;
  pollMs?: number;
  /** DispatcherOptions.waitMs. */
  waitMs?: number;
  /** Int32Array view [0]: webhook requests in flight on the HTTP thread (the dispatcher yields while > 0). */
  busy: SharedArrayBuffer;
  /** Float64Array view of what the thread is doing, indexed by IN_HAND and SETTLES. */
  progress: SharedArrayBuffer;
  /** The store's writer thread (Store.inboxPort): settle transactions go there, serialised with the inbox. */
  inboxPort?: MessagePort;
  /**
   * Connection updates (ConnectionUpdate), on a channel of their own: the thread reads them with
   * receiveMessageOnPort before each read of the inbox, not as message events (see dispatch-worker.ts).
   */
  connectionPort: MessagePort;
}

export interface ConnectionForDispatch {
  id: string;
  connector: string;
  config: Record<string, unknown>;
  /** The config's secret values (DispatchTarget.secrets). */
  secrets: string[];
}

/** HTTP thread → dispatcher thread, on DispatchWorkerData.connectionPort. */
export type ConnectionUpdate =
  | { t: 'connection'; row: ConnectionForDispatch }
  | { t: 'removed'; id: string };

/** HTTP thread → dispatcher thread, on the worker's own port. */
export type ToDispatcher =
  | { t: 'start' }
  | { t: 'wake' }
  | { t: 'drain'; id: number }
  | { t: 'stop' };

/** Dispatcher thread → HTTP thread. */
export type FromDispatcher =
  | { t: 'drained'; id: number; handled?: number; error?: string }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; obj: object | string; msg?: string }
  | { t: 'counts'; counts: Array<[connector: string, result: string, n: number]> }
  | { t: 'stopped' };

/**
 * DispatchWorkerData.progress[IN_HAND]: the seq of the delivery the thread has in hand
 * (DispatcherOptions.inHand), 0 when none: if the thread dies, the HTTP thread counts a failed
 * attempt for it. [SETTLES]: settle transactions since the thread started (DispatcherOptions.settled).
 */
export const IN_HAND = 0;
export const SETTLES = 1;
