import { errorLogFields } from '../errors/index.js';
import type { Bus } from '../bus/bus.js';
import { keptHeaders } from '../webhooks/index.js';
import type { Store, StoredDelivery } from '../store/types.js';
import type { Logger } from '../sync/types.js';
import { retryDelay, type BackoffOptions } from './backoff.js';
import { publishStored } from './ingest.js';
import { createWakeLoop } from './wake-loop.js';

export interface RepublisherOptions {
  store: Store;
  bus: Bus;
  /** Ingest's success path after a confirmed publish: marks the delivery done on this receiver. */
  handedOff(seq: number, connection: string): void;
  logger?: Logger;
  now?: () => number;
  /** How often to look for stranded deliveries. Default 10 s. */
  intervalMs?: number;
  /**
   * Only deliveries received at least this long ago: younger ones may still be in their request's
   * publish. Default 30 s. (Racing it would be harmless, only wasteful: publishing is at least once
   * and workers dedupe on the delivery id.)
   */
  graceMs?: number;
  /** Wait between passes while Pub/Sub keeps failing. Default: from `intervalMs`, doubling, up to 5 min. */
  backoff?: BackoffOptions;
  batchSize?: number;
}

export interface Republisher {
  start(): void;
  /** Look now (a replay made a delivery due) rather than at the next interval. */
  wake(): void;
  /** Publish what is due now, once; resolves with how many were handed off. Rejects on the first publish that fails. */
  drainOnce(): Promise<number>;
  stop(): Promise<void>;
  /** The time from which a delivery put back now is due at once (replay). */
  dueNow(): number;
}

/**
 * A receiver without a dispatcher (`--no-dispatch`) answers 503 when Pub/Sub does not confirm a
 * delivery, and keeps it `pending` in its inbox. GitHub and GitLab never retry on their own, so
 * nothing else would ever publish it: this loop does. It reads the due deliveries the dispatcher
 * reads (pending ones, index order), publishes each as ingest does, and completes it as ingest's
 * success path does. One whose publish was confirmed but not yet completed (a crash in between) is
 * only completed. While Pub/Sub fails, passes back off; the rows are left as they are (no attempts
 * counted, never dead: the outage is Pub/Sub's, not the delivery's).
 */
export function createRepublisher(options: RepublisherOptions): Republisher {
  const { store, bus, logger } = options;
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 10_000;
  const graceMs = options.graceMs ?? 30_000;
  const batchSize = options.batchSize ?? 100;
  const backoff: BackoffOptions = { baseMs: intervalMs, maxMs: Math.max(intervalMs, 300_000), ...options.backoff };
  /** Failed passes in a row: the wait grows with it, and only the first one is logged. */
  let streak = 0;

  async function republish(delivery: StoredDelivery): Promise<void> {
    // Confirmed before a crash but not yet completed: only completed.
    if (delivery.publishedAt !== null) return options.handedOff(delivery.seq, delivery.connection);
    await publishStored({ bus, store, now, handedOff: options.handedOff }, delivery.seq, {
      connector: delivery.connector, connection: delivery.connection, deliveryId: delivery.id, event: delivery.event,
      // A row stored by an older release may still hold credential headers: they are not published.
      headers: keptHeaders(delivery.headers, undefined), body: delivery.body,
    });
  }

  async function drainOnce(): Promise<number> {
    let handled = 0;
    for (;;) {
      const due = store.dueDeliveries(now() - graceMs, batchSize);
      for (const delivery of due) {
        await republish(delivery);
        handled++;
      }
      if (due.length < batchSize || !loop.running) return handled;
    }
  }

  /** One pass of the loop; resolves with the wait before the next. */
  const loop = createWakeLoop(async () => {
    try {
      const handled = await drainOnce();
      if (streak > 0) logger?.info({ republished: handled, failedPasses: streak }, 'publishing stranded deliveries works again');
      else if (handled > 0) logger?.info({ republished: handled }, 'published deliveries whose first publish had failed');
      streak = 0;
      return intervalMs;
    } catch (error) {
      // Once per streak: a Pub/Sub that is down for an hour logs one line, not 360. Never the body.
      if (streak === 0) logger?.error(errorLogFields(error), 'publishing stranded deliveries failed; retrying with backoff');
      streak++;
      return retryDelay(streak, backoff);
    }
  });

  return {
    start: () => loop.start(),
    wake: () => loop.wake(),
    drainOnce,
    stop: () => loop.stop(),
    dueNow: () => now() - graceMs,
  };
}
