import { partitionKey as keyOfPartition, StreamStateKeeper } from '../incremental/index.js';
import { createParentReducer, listStreamPartitions, type ParentReader, type ParentValueCache, type Partition, type PartitionContext } from '../partitions/index.js';
import type { AirbyteMessage, SyncMode } from '../protocol/messages.js';
import { mergeBounded } from './merge.js';
import type { ParentStateRecording, ReadParentCache } from './parent-cache.js';
import { parentProgressOf, stateKey, withParentState, type ParentProgress } from './parent-progress.js';
import { readPartition, type PartitionEvent, type PartitionReadContext } from './partition-reader.js';
import { errorTrace, stateMessage, statusTrace } from './messages.js';

export interface ParentReadOptions {
  incremental: boolean;
  /** Where an incremental parent read starts (the child's saved parent state); undefined: from `start`. */
  state?: Readonly<Record<string, unknown>> | undefined;
  /** Called once the parent was read to its end, with the parent's state then (incremental mode). */
  onComplete?: (state: Record<string, unknown> | undefined) => void;
}

/** Reads a parent stream's mapped records from a given state (the engine's side of `ParentReader`). */
export type EngineParentReader = (parent: string, options: ParentReadOptions) => AsyncIterable<Record<string, unknown>>;

export interface StreamReadContext extends Omit<PartitionReadContext, 'incremental'> {
  mode: SyncMode;
  /** The stream's saved state (input), if any. */
  inputState: Readonly<Record<string, unknown>> | undefined;
  concurrency: number;
  readParent: EngineParentReader;
  /** Parent values shared by the streams of this read. */
  parentCache?: ReadParentCache;
  /** Later streams use this stream as a parent: record their values from this read's records. */
  parentTaps?: readonly ParentStateRecording[];
  onPage?: (stream: string, records: number) => void;
}

/** Above this many partition cursors, STATE messages are sent at most once a second (they hold the whole map). */
const LARGE_STATE = 100;
const LARGE_STATE_INTERVAL_MS = 1000;

/**
 * Read one stream: STARTED, RECORDs (RUNNING before the first), a STATE after each partition and
 * window (incremental mode), then COMPLETE — or a TRACE ERROR and INCOMPLETE when it fails.
 * Partitions run concurrently up to `concurrency`; the records of one partition stay in order.
 *
 * Messages come in batches, in order: one batch holds a whole page's RECORDs (one async hand-off
 * per page rather than per record: at ~2 KB records the per-record hops were a measurable share
 * of the engine's CPU); STATE and status messages come in batches of their own, after the records
 * they cover. Batches are never empty.
 */
export async function* readStreamBatches(context: StreamReadContext): AsyncGenerator<AirbyteMessage[]> {
  const { streamName: name, stream } = context;
  const now = () => context.now().getTime();
  const incremental = context.mode === 'incremental';
  const keeper = new StreamStateKeeper(incremental ? context.inputState : undefined, stream.incremental?.max_partitions_in_state ?? 10000);
  const partitioned = stream.partitions !== undefined;
  // An incremental_parent child: the parent state it has processed moves only when it completes.
  const parentRead = parentProgressOf(context.manifest, stream, context.mode, context.inputState);
  const progress = incremental ? parentRead : undefined;
  /** The state to save before the stream completes (mid-read, or after a failure): the parent state it started from. */
  const partialState = () => withParentState({ ...keeper.snapshot() }, progress?.start);
  yield [statusTrace(name, 'STARTED', now())];
  let running = false;
  let sinceState = 0;
  let lastStateAt = 0;
  let stateEmitted = false;
  let statePending = false;
  const tagged = (partition: Partition): AsyncIterable<{ key: string | undefined; event: PartitionEvent }> => {
    const key = partitioned ? keyOfPartition(partition) : undefined;
    return (async function* () {
      for await (const event of readPartition({ ...context, incremental }, partition, key, keeper.saved(key))) yield { key, event };
    })();
  };
  const taps = (context.parentTaps ?? []).map(({ value, writer }) => ({ reduce: createParentReducer(value, 'value', context.baseScope), writer }));
  let completed = false;
  try {
    const partitions = listStreamPartitions(stream.partitions, partitionContext(context, parentRead));
    for await (const { key, event } of mergeBounded(partitions, context.concurrency, tagged)) {
      if (event.type === 'page') {
        context.onPage?.(name, event.records.length);
        if (event.records.length === 0) continue;
        for (const tap of taps) {
          for (const record of event.records) {
            const reduced = await tap.reduce(record);
            if (reduced) tap.writer.add(reduced.item, reduced.key.length);
          }
        }
        if (!running) {
          running = true;
          yield [statusTrace(name, 'RUNNING', now())];
        }
        const emittedAt = now();
        const page: AirbyteMessage[] = new Array(event.records.length);
        for (let i = 0; i < event.records.length; i++) page[i] = { type: 'RECORD', record: { stream: name, data: event.records[i]!, emitted_at: emittedAt } };
        yield page;
        sinceState += event.records.length;
        continue;
      }
      if (!incremental) continue;
      const changed = keeper.update(key, event.cursor);
      // Nothing new since the last STATE (an empty partition, the end of the last window): no repeat.
      if (!changed && sinceState === 0 && stateEmitted) continue;
      if (keeper.size > LARGE_STATE && performance.now() - lastStateAt < LARGE_STATE_INTERVAL_MS) {
        statePending = true;
        continue;
      }
      lastStateAt = performance.now();
      yield [stateMessage(name, partialState(), sinceState)];
      sinceState = 0;
      stateEmitted = true;
      statePending = false;
    }
    // Every partition of the parent read was read: the child has processed the parent up to the
    // parent read's end state.
    const parentEnd = parentRead ? parentRead.end ?? parentRead.start : undefined;
    const finalState = withParentState({ ...keeper.snapshot() }, progress ? parentEnd : undefined);
    const advanced = progress !== undefined && stateKey(progress.start) !== stateKey(parentEnd);
    if (incremental && (statePending || !stateEmitted || advanced)) yield [stateMessage(name, finalState, sinceState)];
    for (const tap of taps) tap.writer.complete(incremental ? finalState : undefined);
    completed = true;
    yield [statusTrace(name, 'COMPLETE', now())];
  } catch (error) {
    // Keep what completed partitions earned: their cursors are already in the keeper.
    // The parent state stays where it was: the parents of a failed partition must be visited again.
    const tail: AirbyteMessage[] = incremental ? [stateMessage(name, partialState(), sinceState)] : [];
    tail.push(errorTrace(error, now(), name), statusTrace(name, 'INCOMPLETE', now()));
    yield tail;
  } finally {
    if (!completed) for (const tap of taps) tap.writer.abandon();
  }
}

/**
 * The partitions' view of the engine: an incremental parent is read from `progress.start` (and
 * shared only with reads from the same start), and its end state lands in `progress.end`.
 */
function partitionContext(context: StreamReadContext, progress: ParentProgress | undefined): PartitionContext {
  const readParent: ParentReader = (parent, options) =>
    context.readParent(parent, progress && options.incremental ? { ...options, state: progress.start, onComplete: (state) => { progress.end = state; } } : options);
  const cache = context.parentCache;
  const parentCache: ParentValueCache | undefined = cache && { open: (parent, read) => cache.open(parent, read, progress) };
  return { scope: context.baseScope, readParent, ...(parentCache ? { parentCache } : {}) };
}

/**
 * The mapped records of a stream (a parent of a substream), without messages. In incremental mode
 * the state the read reaches is handed to `onComplete` once every partition has been read (never
 * for a read that fails or is stopped early).
 */
export async function* streamRecords(context: StreamReadContext, onComplete?: (state: Record<string, unknown> | undefined) => void): AsyncGenerator<Record<string, unknown>> {
  const { stream } = context;
  const incremental = context.mode === 'incremental';
  const keeper = new StreamStateKeeper(incremental ? context.inputState : undefined, stream.incremental?.max_partitions_in_state ?? 10000);
  const partitioned = stream.partitions !== undefined;
  const parentRead = parentProgressOf(context.manifest, stream, context.mode, context.inputState);
  const partitions = listStreamPartitions(stream.partitions, partitionContext(context, parentRead));
  const work = (partition: Partition) => {
    const key = partitioned ? keyOfPartition(partition) : undefined;
    return (async function* () {
      for await (const event of readPartition({ ...context, incremental }, partition, key, keeper.saved(key))) yield { key, event };
    })();
  };
  for await (const { key, event } of mergeBounded(partitions, context.concurrency, work)) {
    if (event.type === 'page') yield* event.records;
    else if (incremental) keeper.update(key, event.cursor);
  }
  if (!onComplete) return;
  const parentEnd = parentRead && incremental ? parentRead.end ?? parentRead.start : undefined;
  onComplete(incremental ? withParentState({ ...keeper.snapshot() }, parentEnd) : undefined);
}
