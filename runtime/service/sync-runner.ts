import { ConnectorError, ERROR_CODES, errorLogFields } from '../errors/index.js';
import type { Bus } from '../bus/bus.js';
import { finishedWithin } from '../scheduler/index.js';
import type { RecordPipeline, StoredRecord } from '../records/types.js';
import type { RunRow, Store } from '../store/types.js';
import type { Connector, Logger } from '../sync/types.js';
import type { ServiceMetrics } from './metrics.js';

export interface SyncTarget {
  connector: string;
  open(): Promise<Connector>;
  pipelineFor(stream: string): RecordPipeline;
}

export interface SyncRunnerOptions {
  store: Store;
  bus: Bus;
  target(connectionId: string): SyncTarget | undefined;
  metrics?: ServiceMetrics;
  logger?: Logger;
  now?: () => number;
  /** Records buffered per stream before a write. Default 500. */
  batchSize?: number;
  /**
   * How long `stop()` waits for runs in progress after aborting them (default 10 s). A run still
   * going then (a request the abort cannot reach) is marked failed "interrupted by shutdown" and
   * left behind, so the caller can close the store: shutdown never waits on an API.
   */
  stopTimeoutMs?: number;
}

export interface SyncRunner {
  /**
   * Start a sync of a connection, or return the run already in progress (`started: false`): a
   * connection never syncs twice at once, whether the API or the scheduler asks. Refused with
   * SHUTTING_DOWN once `stop()` has begun.
   */
  start(connectionId: string, trigger: RunRow['trigger']): { run: RunRow; started: boolean; done: Promise<void> };
  isRunning(connectionId: string): boolean;
  /** Settles once the connection has no run in progress (at once when it has none). */
  idle(connectionId: string): Promise<void>;
  /**
   * Aborted when `stop()` begins. Give it to the connectors the runs read through (ConnectorOptions.signal)
   * so their requests and backoff waits end at shutdown.
   */
  readonly signal: AbortSignal;
  /**
   * Abort the runs in progress and wait for them, at most `stopTimeoutMs`; a run that has not ended
   * by then is marked failed "interrupted by shutdown" and nothing more of it is written.
   */
  stop(): Promise<void>;
}

const INTERRUPTED = 'interrupted by shutdown';

/** A run's error: what ended it, if anything did, then every stream that failed (`stream <name>: …`). */
function runError(fatal: string | null, failures: ReadonlyMap<string, string>): string | null {
  if (failures.size === 0) return fatal;
  const each = [...failures].map(([stream, message]) => (message.startsWith(`stream ${stream}:`) ? message : `stream ${stream}: ${message}`));
  const streams = failures.size === 1 ? each[0]! : `${failures.size} streams failed: ${each.join('; ')}`;
  return fatal === null ? streams : `${fatal}; ${streams}`;
}

/** Who records a run's end: the run itself, or stop() when it gave up waiting (never both). */
interface RunFate {
  abandoned: boolean;
  recorded: boolean;
  /** Records written so far. */
  written: number;
}

/**
 * Runs `connector.read()` with the state saved in the store, writes records (upsert by primary key),
 * publishes them, and saves each STATE message after the records before it are written.
 */
export function createSyncRunner(options: SyncRunnerOptions): SyncRunner {
  const { store, bus } = options;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 500;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const shutdown = new AbortController();
  const inProgress = new Map<string, { run: RunRow; done: Promise<void>; abandon(): void }>();

  async function execute(connectionId: string, run: RunRow, target: SyncTarget, fate: RunFate): Promise<void> {
    const abandoned = () => fate.abandoned;
    // Every stream's failure is kept (the engine goes on with the next stream), and the run's error
    // names them all: keeping only the last one hid the others.
    const failures = new Map<string, string>();
    let fatal: string | null = null;
    const failStream = (stream: string, message: string) => {
      if (!failures.has(stream)) options.logger?.warn({ connection: connectionId, run: run.id, stream, err: message }, 'sync stream failed');
      failures.set(stream, failures.has(stream) ? `${failures.get(stream)!}; ${message}` : message);
    };
    const buffers = new Map<string, StoredRecord[]>();
    const flush = async (stream?: string): Promise<void> => {
      // Given up on at shutdown: the store may be closed, and the run is already recorded as failed.
      if (abandoned()) throw new Error(INTERRUPTED);
      for (const [name, records] of buffers) {
        if ((stream !== undefined && name !== stream) || records.length === 0) continue;
        await bus.publishRecords(target.connector, connectionId, name, records);
        // What the store wrote: an older copy than the one stored (a webhook's newer update) is not.
        const written = await store.upsertRecords(connectionId, [{ stream: name, records }]);
        options.metrics?.syncRecords.inc({ connection: connectionId, stream: name }, written);
        fate.written += written;
        buffers.set(name, []);
      }
    };
    // A record without its primary key cannot be stored: it is left out and its stream reported
    // failed, while the other records and streams are still written (one bad record used to end the run).
    const skipped = new Map<string, number>();
    try {
      const connector = await target.open();
      for await (const message of connector.read(undefined, store.loadState(connectionId))) {
        if (abandoned()) break;
        if (message.type === 'RECORD') {
          const { stream, data } = message.record;
          let record: StoredRecord;
          try {
            record = target.pipelineFor(stream).stored(data);
          } catch (error) {
            const count = (skipped.get(stream) ?? 0) + 1;
            skipped.set(stream, count);
            if (count === 1) failStream(stream, `${error instanceof Error ? error.message : String(error)} (the record was not stored)`);
            continue;
          }
          const list = buffers.get(stream) ?? [];
          list.push(record);
          buffers.set(stream, list);
          if (list.length >= batchSize) await flush(stream);
        } else if (message.type === 'STATE') {
          await flush();
          // With the run's records so far: a run cut off by a crash still shows what it wrote (failInterruptedRuns keeps it).
          store.saveState(connectionId, message.state, { id: run.id, records: fate.written });
        } else if (message.type === 'TRACE' && message.trace.type === 'ERROR') {
          failStream(message.trace.error.stream_descriptor?.name ?? '(connection)', message.trace.error.message);
        }
      }
      await flush();
    } catch (error) {
      fatal = error instanceof Error ? error.message : String(error);
    }
    for (const [stream, count] of skipped) if (count > 1) failures.set(stream, `${failures.get(stream)!} (${count} records without a primary key in all)`);
    let failure = runError(fatal, failures);
    if (abandoned()) return;
    // Aborted by stop(): the engine reports the aborted request; say why it was aborted.
    if (failure !== null && shutdown.signal.aborted) failure = INTERRUPTED;
    fate.recorded = true;
    store.finishRun(run.id, failure === null ? 'succeeded' : 'failed', fate.written, failure, now());
    options.metrics?.syncRuns.inc({ connection: connectionId, result: failure === null ? 'succeeded' : 'failed' });
    if (failure) options.logger?.warn({ connection: connectionId, run: run.id, err: failure }, 'sync failed');
    else options.logger?.info({ connection: connectionId, run: run.id, records: fate.written }, 'sync finished');
  }

  return {
    start(connectionId, trigger) {
      const current = inProgress.get(connectionId);
      if (current) return { ...current, started: false };
      // A run started now would only be aborted at once, and recorded failed.
      if (shutdown.signal.aborted) throw new ConnectorError('SHUTTING_DOWN', `connection ${connectionId} is not synced: the service is shutting down`, { hint: ERROR_CODES.SHUTTING_DOWN.fix });
      const target = options.target(connectionId);
      if (!target) throw new Error(`unknown connection ${connectionId}`);
      const run = store.createRun(connectionId, trigger, now());
      const fate: RunFate = { abandoned: false, recorded: false, written: 0 };
      let release!: () => void;
      // Settles when the run ends or when stop() gives up on it, whichever comes first.
      const givenUp = new Promise<void>((resolve) => (release = resolve));
      const finished = execute(connectionId, run, target, fate).catch((error: unknown) => {
        options.logger?.error({ connection: connectionId, run: run.id, ...errorLogFields(error) }, 'sync run could not be recorded');
      });
      const done = Promise.race([finished, givenUp]).finally(() => inProgress.delete(connectionId));
      const abandon = () => {
        if (fate.abandoned || fate.recorded) return;
        fate.abandoned = true;
        store.finishRun(run.id, 'failed', fate.written, INTERRUPTED, now());
        options.metrics?.syncRuns.inc({ connection: connectionId, result: 'failed' });
        options.logger?.error({ connection: connectionId, run: run.id, waitedMs: stopTimeoutMs }, 'sync run interrupted by shutdown: it did not end in time after being aborted');
        release();
      };
      inProgress.set(connectionId, { run, done, abandon });
      return { run, started: true, done };
    },
    isRunning: (connectionId) => inProgress.has(connectionId),
    idle: (connectionId) => inProgress.get(connectionId)?.done ?? Promise.resolve(),
    signal: shutdown.signal,
    async stop() {
      shutdown.abort(new Error(INTERRUPTED));
      const entries = [...inProgress.values()];
      if (entries.length === 0) return;
      if (!(await finishedWithin(Promise.allSettled(entries.map((entry) => entry.done)), stopTimeoutMs))) {
        for (const entry of inProgress.values()) entry.abandon();
      }
    },
  };
}
