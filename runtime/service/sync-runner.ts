import type { Bus } from '../bus/bus.js';
import type { RecordPipeline } from '../records/types.js';
import type { RecordBatch, RunRow, Store } from '../store/types.js';
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
}

export interface SyncRunner {
  /**
   * Start a sync of a connection, or return the run already in progress (`started: false`): a
   * connection never syncs twice at once, whether the API or the scheduler asks.
   */
  start(connectionId: string, trigger: RunRow['trigger']): { run: RunRow; started: boolean; done: Promise<void> };
  isRunning(connectionId: string): boolean;
  /** Wait for every run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `connector.read()` with the state saved in the store, writes records (upsert by primary key),
 * publishes them, and saves each STATE message after the records before it are written.
 */
export function createSyncRunner(options: SyncRunnerOptions): SyncRunner {
  const { store, bus } = options;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 500;
  const inProgress = new Map<string, { run: RunRow; done: Promise<void> }>();

  async function execute(connectionId: string, run: RunRow, target: SyncTarget): Promise<void> {
    let written = 0;
    let failure: string | null = null;
    const buffers = new Map<string, Record<string, unknown>[]>();
    const flush = async (stream?: string): Promise<void> => {
      for (const [name, records] of buffers) {
        if ((stream !== undefined && name !== stream) || records.length === 0) continue;
        const pipeline = target.pipelineFor(name);
        const batch: RecordBatch = { stream: name, records: records.map((data) => ({ key: pipeline.keyOf(data), data })) };
        await bus.publishRecords(target.connector, connectionId, name, records);
        await store.upsertRecords(connectionId, [batch]);
        options.metrics?.syncRecords.inc({ connection: connectionId, stream: name }, records.length);
        written += records.length;
        buffers.set(name, []);
      }
    };
    try {
      const connector = await target.open();
      for await (const message of connector.read(undefined, store.loadState(connectionId))) {
        if (message.type === 'RECORD') {
          const list = buffers.get(message.record.stream) ?? [];
          list.push(message.record.data);
          buffers.set(message.record.stream, list);
          if (list.length >= batchSize) await flush(message.record.stream);
        } else if (message.type === 'STATE') {
          await flush();
          store.saveState(connectionId, message.state);
        } else if (message.type === 'TRACE' && message.trace.type === 'ERROR') {
          failure = message.trace.error.message;
        }
      }
      await flush();
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    store.finishRun(run.id, failure === null ? 'succeeded' : 'failed', written, failure, now());
    options.metrics?.syncRuns.inc({ connection: connectionId, result: failure === null ? 'succeeded' : 'failed' });
    if (failure) options.logger?.warn({ connection: connectionId, run: run.id, err: failure }, 'sync failed');
    else options.logger?.info({ connection: connectionId, run: run.id, records: written }, 'sync finished');
  }

  return {
    start(connectionId, trigger) {
      const current = inProgress.get(connectionId);
      if (current) return { ...current, started: false };
      const target = options.target(connectionId);
      if (!target) throw new Error(`unknown connection ${connectionId}`);
      const run = store.createRun(connectionId, trigger, now());
      const done = execute(connectionId, run, target).finally(() => inProgress.delete(connectionId));
      inProgress.set(connectionId, { run, done });
      return { run, started: true, done };
    },
    isRunning: (connectionId) => inProgress.has(connectionId),
    async stop() {
      await Promise.allSettled([...inProgress.values()].map((entry) => entry.done));
    },
  };
}
