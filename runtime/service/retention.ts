import type { Store } from '../store/index.js';

const BATCH = 5_000;
/** `--retention-days` when not given: 7 days (serve and worker). */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface Retention {
  start(): void;
  /** Delete the done deliveries older than the retention, in batches; returns how many. */
  runOnce(): Promise<number>;
  /**
   * Also delete, on each run, what `prune(before)` finds older than the retention (`serve` adds the
   * Pub/Sub bus's large-body store here). Its failures go to `onError` and do not stop the run.
   */
  alsoPrune(prune: (before: number) => Promise<unknown>): void;
  stop(): void;
}

/**
 * Done deliveries (and their bodies) are kept `retentionMs` for dedupe and inspection, then deleted,
 * so the inbox does not grow without bound. Pending, failed and dead deliveries are never deleted,
 * unless `anyStatus`: a Pub/Sub worker's rows are copies of messages whose retries and dead letters
 * Pub/Sub owns (one left `pending` by a killed worker was redelivered elsewhere).
 */
export function createRetention(options: {
  store: Store;
  retentionMs: number;
  anyStatus?: boolean;
  now: () => number;
  intervalMs?: number;
  /** The first run, after start (default a minute): a service restarted more often than every interval still prunes. */
  firstRunAfterMs?: number;
  onError?: (error: unknown) => void;
}): Retention {
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  const extra: Array<(before: number) => Promise<unknown>> = [];
  const runOnce = async () => {
    if (options.retentionMs <= 0) return 0;
    const before = options.now() - options.retentionMs;
    for (const prune of extra) await prune(before).catch((error: unknown) => options.onError?.(error));
    let total = 0;
    for (;;) {
      const removed = await options.store.pruneDeliveries(before, BATCH, options.now(), options.anyStatus === true);
      total += removed;
      if (removed < BATCH) return total;
      // Let webhook requests in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return {
    start() {
      if (timer || options.retentionMs <= 0) return;
      const run = () => void runOnce().catch((error: unknown) => options.onError?.(error));
      first = setTimeout(run, options.firstRunAfterMs ?? MINUTE);
      first.unref();
      timer = setInterval(run, options.intervalMs ?? HOUR);
      timer.unref();
    },
    runOnce,
    alsoPrune(prune) {
      extra.push(prune);
    },
    stop() {
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
      timer = first = undefined;
    },
  };
}
