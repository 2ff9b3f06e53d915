import { errorLogFields, isConnectorError } from '../errors/index.js';
import type { Bus } from '../bus/bus.js';
import type { LoadedManifest } from '../manifest/index.js';
import { kindOf } from '../records/index.js';
import type { RecordPipeline } from '../records/types.js';
import type { Logger } from '../sync/types.js';
import type { DeliveryOutcome, RecordBatch, Store, StoredDelivery } from '../store/types.js';
import { failureText, isRouted, mapDelivery, parseBody, storedBatches } from '../webhooks/index.js';
import { retryDelay, type BackoffOptions } from './backoff.js';
import { createWakeLoop } from './wake-loop.js';

/** What the dispatcher needs to know about a connection to map its deliveries. */
export interface DispatchTarget {
  manifest: LoadedManifest;
  config: Readonly<Record<string, unknown>>;
  /** The config's secret values: masked in a failure's stored error. */
  secrets: readonly string[];
  pipelineFor(stream: string): RecordPipeline;
}

export interface DispatcherOptions {
  store: Store;
  bus: Bus;
  /**
   * The connection's manifest and config. Undefined: the dispatcher does not run it. Its delivery
   * then fails as one of a connection that is not configured any more (retried like any failure,
   * then dead) only if the store no longer has the connection (it was removed). A connection still
   * stored is one the service knows (not running: CONNECTION_UNAVAILABLE, or not yet known to a
   * dispatcher thread): its deliveries keep their status and attempts, and are looked at again
   * `waitMs` later.
   */
  target(connectionId: string): DispatchTarget | undefined;
  /**
   * Told the seq of the delivery in hand: the one being mapped, or while a batch is settled the one
   * with the most records; 0 when none. A dispatcher thread that dies can then name it (dispatcher-thread.ts).
   */
  inHand?(seq: number): void;
  /** Told after each settle transaction: the dispatcher made progress (a thread that dies after some is started again soon). */
  settled?(): void;
  /** Called before each read of due deliveries (the dispatcher thread applies connection updates there). */
  beforeRead?(): void;
  /** The service's counter, or the dispatcher thread's batching stand-in for it. */
  metrics?: { dispatched: { inc(labels: { connector: string; result: string }): void } };
  logger?: Logger;
  /** Attempts before a delivery is dead-lettered. Default 5. */
  maxAttempts?: number;
  /**
   * How long a delivery whose connection is stored but does not run waits before it is looked at
   * again (default 30 s). Deferred in the store, so a backlog of them is not read again on every pass.
   */
  waitMs?: number;
  backoff?: BackoffOptions;
  /** How often to look for due retries when idle. Default 500 ms. */
  pollMs?: number;
  batchSize?: number;
  /** Delay between a wake-up and the drain, so bursts are settled in batches. Default 10 ms. */
  wakeDelayMs?: number;
  /**
   * True while webhook requests are being ingested. The dispatcher shares the event loop with them:
   * while busy it works in short slices (`busySliceMs`) and rests `busyRestFactor` times as long
   * as each slice took, so ingest keeps most of the CPU and its latency stays low; the backlog is
   * drained at full speed once the burst is over (deliveries are durable, mapping can wait).
   */
  busy?: () => boolean;
  /** Deliveries read (and settled in one transaction) at a time while `busy()`. Default 50. */
  busyBatchSize?: number;
  /** Delay between a wake-up and the drain while `busy()`. Default 50 ms. */
  busyWakeDelayMs?: number;
  /** Longest stretch of event-loop time the dispatcher takes at once while `busy()`. Default 2 ms. */
  busySliceMs?: number;
  /**
   * Rest after a slice, as a multiple of the slice's duration, while `busy()`: a number, or a
   * function read after each slice (to rest longer the more requests wait). Default 3 (a ~25% share).
   */
  busyRestFactor?: number | (() => number);
  now?: () => number;
}

/**
 * The dispatcher thread's rest after each busy slice: as many slices as webhook requests are in
 * flight, from 3 to 30. At 1,000 req/s (~3 in flight) mapping keeps a ~25 % share and keeps up;
 * with the HTTP side saturated (tens in flight) it backs off to ~3 % and catches up after the burst.
 * Its settles run on the inbox writer at normal priority, so nice 19 alone does not keep mapping
 * off ingest's CPU (docs/performance.md, session 4).
 */
export const restFactorFor = (requestsInFlight: number): number => Math.min(30, Math.max(3, requestsInFlight));

/**
 * Records written per transaction, about: a batch is settled once it holds more, and a delivery that
 * made more is written in chunks of this many (withoutLargeBatches).
 */
export const SETTLE_CHUNK = 1_000;

/**
 * How the error of a delivery that was in hand when a dispatcher thread died begins
 * (dispatcher-thread.ts): the dispatcher maps such a delivery apart from the others.
 */
export const THREAD_STOPPED = 'the dispatcher thread stopped while this delivery was mapped or its records written';

const recordsIn = (outcome: DeliveryOutcome) => ('batches' in outcome ? outcome.batches.reduce((n, batch) => n + batch.records.length, 0) : 0);

/** The seq of the outcome with the most records: what a settle that ran out of memory most likely choked on. */
function largest(outcomes: readonly DeliveryOutcome[]): number {
  let seq = outcomes[0]!.seq;
  let most = -1;
  for (const outcome of outcomes) {
    const records = recordsIn(outcome);
    if (records > most) [seq, most] = [outcome.seq, records];
  }
  return seq;
}

export interface Dispatcher {
  start(): void;
  /** A new delivery is waiting: look now rather than at the next poll. */
  wake(): void;
  /** Process what is due now, once (tests, shutdown drain). Returns how many deliveries were handled. */
  drainOnce(): Promise<number>;
  /** Stop polling and wait for the delivery in progress. */
  stop(): Promise<void>;
  /** Why it stopped by itself (its thread died), if it did: deliveries are then stored but not mapped. */
  failure?(): string | undefined;
}

/**
 * Drains the inbox: each due delivery is parsed, mapped with `webhooks.events` through the stream's
 * record pipeline, published (when a bus is configured), then its records are upserted and the
 * delivery marked done in one transaction. Failures retry with backoff; after `maxAttempts` the
 * delivery is dead until replayed. State lives in the store, so a restart resumes where it stopped.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { store, bus } = options;
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 5;
  const waitMs = options.waitMs ?? 30_000;
  const pollMs = options.pollMs ?? 500;
  const batchSize = options.batchSize ?? 200;
  const wakeDelayMs = options.wakeDelayMs ?? 10;
  const busy = options.busy ?? (() => false);
  const busyBatchSize = options.busyBatchSize ?? 50;
  const rest = options.busyRestFactor ?? 3;
  const busyRestFactor = typeof rest === 'number' ? () => rest : rest;
  const busySliceMs = options.busySliceMs ?? 2;
  const busyWakeDelayMs = options.busyWakeDelayMs ?? 50;
  const loop = createWakeLoop(async () => {
    try {
      await drainOnce();
    } catch (error) {
      options.logger?.error(errorLogFields(error), 'dispatcher could not read or settle the inbox (retried)');
    }
    return pollMs;
  });

  /** An unref'd timer: a resting dispatcher never keeps the process alive. */
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

  // Connections whose deliveries wait, said once each (not once a pass).
  const waitingSaid = new Set<string>();

  // Events no `webhooks.events` entry maps, said once per connector and event: a GitHub `ping` is
  // expected, a misspelt event key hides every delivery of that event.
  const ignoredSaid = new Set<string>();
  const ignoredEvent = (connector: string, connection: string, event: string) => {
    const key = `${connector}\0${event}`;
    if (ignoredSaid.has(key) || ignoredSaid.size >= 1000) return;
    ignoredSaid.add(key);
    options.logger?.info({ connector, connection, event }, `deliveries of event ${JSON.stringify(event)} are done with no records: webhooks.events of connector ${connector} does not map it`);
  };

  // Events whose `record` selected nothing, said once per connector and route (like ignored events).
  const emptySaid = new Set<string>();
  const emptyEvent = (delivery: StoredDelivery, payload: unknown, { path, record }: { path: string; record: string }) => {
    const key = `${delivery.connector}\0${path}`;
    if (emptySaid.has(key) || emptySaid.size >= 1000) return;
    emptySaid.add(key);
    const keys = payload && typeof payload === 'object' && !Array.isArray(payload) ? Object.keys(payload).slice(0, 20).join(', ') : `(${kindOf(payload)})`;
    options.logger?.warn({ connector: delivery.connector, connection: delivery.connection, event: delivery.event, delivery: delivery.id },
      `a delivery of event ${JSON.stringify(delivery.event)} gave no records: ${path}.record (${record}) selected nothing in its payload (top-level keys: ${keys || 'none'}). A misspelt path or a payload of another shape? If such payloads are expected (an empty list), a \`when\` that skips them keeps this quiet. Counted as result="empty"`);
  };

  /**
   * Map one delivery and publish its records; the outcome is written with the rest of the batch.
   * A `wait` outcome: its connection is not running here but still stored (see `target`).
   */
  async function handle(delivery: StoredDelivery): Promise<DeliveryOutcome> {
    let secrets: readonly string[] = [];
    try {
      const target = options.target(delivery.connection);
      if (!target) {
        // One row by its key, secrets unopened: the dispatcher thread's store has no key to open them.
        if (store.hasConnection(delivery.connection)) {
          if (!waitingSaid.has(delivery.connection)) {
            waitingSaid.add(delivery.connection);
            options.logger?.warn({ connection: delivery.connection, delivery: delivery.id }, `deliveries of connection ${delivery.connection} wait: it is stored but does not run here; they are mapped once it runs, or end once it is removed`);
          }
          return { seq: delivery.seq, replays: delivery.replays, done: false, wait: true, nextAttemptAt: now() + waitMs };
        }
        throw new Error(`connection ${delivery.connection} is not configured any more`);
      }
      waitingSaid.delete(delivery.connection);
      secrets = target.secrets;
      const payload = parseBody(delivery.body, delivery.contentType ?? undefined);
      let selectedNothingAt: { path: string; record: string } | undefined;
      const mapped = await mapDelivery(target.manifest.node, delivery.event, payload, {
        selectedNothing: (path, record) => void (selectedNothingAt ??= { path, record }),
        pipelineFor: target.pipelineFor,
        config: target.config,
        headers: delivery.headers,
        locate: (path) => target.manifest.locate(path),
      });
      const batches: RecordBatch[] = storedBatches(mapped, { pipelineFor: target.pipelineFor, locate: (path) => target.manifest.locate(path) });
      // Publish before marking done: a crash in between republishes (at least once), never loses.
      for (const { stream, records } of batches) await bus.publishRecords(delivery.connector, delivery.connection, stream, records);
      const routed = isRouted(target.manifest.node, delivery.event);
      if (!routed) ignoredEvent(delivery.connector, delivery.connection, delivery.event);
      const result = !routed ? 'ignored' : selectedNothingAt && batches.length === 0 ? 'empty' : 'done';
      if (result === 'empty') emptyEvent(delivery, payload, selectedNothingAt!);
      options.metrics?.dispatched.inc({ connector: delivery.connector, result });
      return { seq: delivery.seq, replays: delivery.replays, connection: delivery.connection, done: true, batches };
    } catch (error) {
      const attempts = delivery.attempts + 1;
      const message = failureText(error, secrets);
      const dead = attempts >= maxAttempts;
      options.metrics?.dispatched.inc({ connector: delivery.connector, result: dead ? 'dead' : 'retry' });
      const about = { connector: delivery.connector, connection: delivery.connection, event: delivery.event, delivery: delivery.id, attempts, dead, err: message, ...(isConnectorError(error) ? { code: error.code } : {}) };
      if (dead) options.logger?.error(about, `delivery dead-lettered after ${attempts} attempts; fix what the error says, then replay it (POST /api/deliveries/:id/replay)`);
      else options.logger?.warn(about, 'delivery failed; will retry');
      return { seq: delivery.seq, replays: delivery.replays, done: false, error: message, nextAttemptAt: dead ? null : now() + retryDelay(attempts, options.backoff) };
    }
  }

  /**
   * Ingest comes first. While requests are in flight, the dispatcher works in slices of at most
   * `busySliceMs` of event-loop time, then rests `busyRestFactor` times as long (a timer, so pending
   * requests and the inbox writer's answers run meanwhile); otherwise it only lets waiting I/O in.
   * Without this, one batch of mappings holds the event loop for tens of milliseconds and every
   * request that arrives meanwhile waits: that was most of the ingest p99.
   */
  async function yieldToIngest(sliceStarted: number): Promise<void> {
    if (loop.running && busy()) await sleep(Math.min(250, Math.max(1, (performance.now() - sliceStarted) * busyRestFactor())));
    else await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * The outcomes to settle, the records of a delivery that made more than SETTLE_CHUNK of them
   * written first, in transactions of that many: one transaction of 455,000 upserts held the
   * store's writer, and so every webhook's 202, for seconds (audit 12, #6). Such a delivery is then
   * marked done with no records left to write. A crash in between maps it again (upserts are idempotent).
   */
  async function withoutLargeBatches(outcomes: DeliveryOutcome[]): Promise<DeliveryOutcome[]> {
    const settled: DeliveryOutcome[] = [];
    for (const outcome of outcomes) {
      if (!('batches' in outcome) || recordsIn(outcome) <= SETTLE_CHUNK) {
        settled.push(outcome);
        continue;
      }
      for (const { stream, records } of outcome.batches) {
        for (let i = 0; i < records.length; i += SETTLE_CHUNK) {
          await store.upsertRecords(outcome.connection, [{ stream, records: records.slice(i, i + SETTLE_CHUNK) }]);
        }
      }
      settled.push({ ...outcome, batches: [] });
    }
    return settled;
  }

  async function drainOnce(): Promise<number> {
    let handled = 0;
    for (;;) {
      const size = loop.running && busy() ? busyBatchSize : batchSize;
      options.beforeRead?.();
      const due = store.dueDeliveries(now(), size);
      // One settle transaction per batch (settling deliveries one by one would compete with the
      // webhook inbox for the store's writer), but written early once it holds more than
      // SETTLE_CHUNK records: a transaction stays short, and the records of deliveries already
      // mapped are not held in memory (where they could make another one run out of it, and be blamed).
      let outcomes: DeliveryOutcome[] = [];
      let records = 0;
      let waited = 0;
      const settle = async () => {
        if (outcomes.length === 0) return;
        options.inHand?.(largest(outcomes));
        await store.settleDeliveries(await withoutLargeBatches(outcomes));
        options.inHand?.(0);
        options.settled?.();
        outcomes = [];
        records = 0;
      };
      let sliceStarted = performance.now();
      for (const delivery of due) {
        // One that stopped a dispatcher thread before is mapped after the rest of the batch is
        // written: should it stop this one too, it takes no other delivery's work with it.
        if (delivery.error?.startsWith(THREAD_STOPPED)) await settle();
        options.inHand?.(delivery.seq);
        const outcome = await handle(delivery);
        options.inHand?.(0);
        outcomes.push(outcome);
        records += recordsIn(outcome);
        if ('wait' in outcome) waited++;
        if (records > SETTLE_CHUNK) await settle();
        if (loop.running && busy() && performance.now() - sliceStarted >= busySliceMs) {
          await yieldToIngest(sliceStarted);
          sliceStarted = performance.now();
        }
      }
      await settle();
      handled += due.length - waited;
      // A batch that only waited comes back at once when the wait is shorter than a poll (tests):
      // that ends the pass. With the default 30 s the next read finds other deliveries.
      if (due.length < size || !loop.running || (waited === due.length && waitMs < pollMs)) return handled;
      await yieldToIngest(sliceStarted);
    }
  }

  return {
    start: () => loop.start(),
    wake() {
      // Coalesced: under load, one drain per `wakeDelayMs` handles a batch instead of one delivery.
      // While requests are in flight, wait longer: fewer, larger batches (one settle transaction and
      // one inbox query each) cost the event loop and the store's writer less per delivery.
      loop.wake(busy() ? Math.max(wakeDelayMs, busyWakeDelayMs) : wakeDelayMs);
    },
    drainOnce,
    stop: () => loop.stop(),
  };
}
