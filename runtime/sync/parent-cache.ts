import type { ManifestNode } from '../manifest/schema.js';
import type { ParentRead, ParentRecording, ParentValueCache, ParentValueWriter } from '../partitions/index.js';
import type { SyncMode } from '../protocol/messages.js';
import type { PlannedStream } from './catalog.js';
import { parentMode, savedParentState, stateKey, type ParentProgress } from './parent-progress.js';

export { parentMode } from './parent-progress.js';

type State = Readonly<Record<string, unknown>>;

/** Bounds on the parent values one read keeps, over all parents together. */
export interface ParentCacheLimits {
  /** Most values kept. Default 100,000. */
  maxEntries?: number;
  /** Most bytes kept, counted as the values' JSON length. Default 64 MiB. */
  maxBytes?: number;
}

export type ResolvedParentCacheLimits = Required<ParentCacheLimits>;

export function resolveParentCacheLimits(limits: ParentCacheLimits | undefined): ResolvedParentCacheLimits {
  return { maxEntries: limits?.maxEntries ?? 100_000, maxBytes: limits?.maxBytes ?? 64 * 1024 * 1024 };
}


/** A recording that may be given the state the recorded read ended with (a parent's own stream knows it). */
export interface ParentStateWriter extends ParentValueWriter {
  complete(end?: State): void;
}

export interface ParentStateRecording extends ParentRecording {
  writer: ParentStateWriter;
}

/** The parent value cache of one `read`: which streams need which parent values, and when. */
export interface ReadParentCache extends ParentValueCache {
  /**
   * `progress.start` is where this incremental read of the parent starts (values are shared only
   * between reads from the same start). A replay sets `progress.end` to the state the recorded read
   * ended with; a recording made by this read takes its end from `progress.end` when completed.
   */
  open(parent: string, read: ParentRead, progress?: ParentProgress): ReturnType<ParentValueCache['open']>;
  /** The stream at `index` of the plan starts: values no stream from `index` on needs are dropped. */
  enter(index: number): void;
  /** Recordings of the values later streams need from `stream` read in `mode`, fed by its own read. */
  taps(stream: string, mode: SyncMode): ParentStateRecording[];
  /** Values and bytes held now (tests, diagnostics). */
  size(): { entries: number; bytes: number };
}

interface Demand {
  parent: string;
  mode: SyncMode;
  value: string | undefined;
  /** Where the read starts (incremental mode): the reading child's saved parent state. */
  start: State | undefined;
  /** Plan indexes of the streams that read this parent this way (directly or through their parent). */
  users: number[];
}

interface Entry {
  state: 'filling' | 'complete' | 'too_big';
  values: unknown[];
  bytes: number;
  /** The parent's state at the end of the recorded read (incremental mode). */
  end?: State;
}

/**
 * Within one read, a parent is read once and its partition values (the `value` output, or whole
 * records without `value`) are replayed to every later stream that reads it the same way (same
 * parent, same mode, same `value`), including from the parent's own stream when it comes first in
 * the catalog. Streams are read one after another, so a value is only kept while a later stream
 * still needs it. Past the limits the recording is dropped and later streams read the parent again.
 *
 * An incremental parent read starts from the state its child saved (`parent_state`, see
 * parent-progress.ts), so reads are shared only when they start from the same state: a child that
 * failed last time reads more parents than the parent's own stream does this time.
 * `states` are the input states of the read.
 */
export function createReadParentCache(manifest: ManifestNode, planned: readonly PlannedStream[], limits: ResolvedParentCacheLimits, states: ReadonlyMap<string, State> = new Map()): ReadParentCache {
  const demands = new Map<string, Demand>();
  planned.forEach(({ name, mode: ownMode }, index) => {
    const visited = new Set<string>();
    // The state the current stream's read starts from: a planned stream's own, then up the chain
    // the parent state each child saved.
    let state = ownMode === 'incremental' ? states.get(name) : undefined;
    for (let stream = manifest.streams[name]; stream?.partitions && 'parent' in stream.partitions && !visited.has(name); ) {
      visited.add(name);
      const { parent, incremental_parent: incremental, value } = stream.partitions;
      const mode = parentMode(manifest, parent, incremental);
      const start = mode === 'incremental' ? savedParentState(state) : undefined;
      const key = keyOf(parent, mode, value, start);
      const demand = demands.get(key) ?? { parent, mode, value, start, users: [] };
      demand.users.push(index);
      demands.set(key, demand);
      name = parent;
      stream = manifest.streams[parent];
      state = start;
    }
  });
  const entries = new Map<string, Entry>();
  const total = { entries: 0, bytes: 0 };
  let current = -1;

  const neededLater = (key: string) => demands.get(key)?.users.some((index) => index > current) ?? false;
  const release = (entry: Entry) => {
    total.entries -= entry.values.length;
    total.bytes -= entry.bytes;
    entry.values = [];
    entry.bytes = 0;
  };
  const writerFor = (key: string, progress: ParentProgress | undefined): ParentStateWriter => {
    const entry: Entry = { state: 'filling', values: [], bytes: 0 };
    entries.set(key, entry);
    return {
      add(value, bytes) {
        if (entry.state !== 'filling') return;
        if (total.entries + 1 > limits.maxEntries || total.bytes + bytes > limits.maxBytes) {
          release(entry);
          entry.state = 'too_big'; // later streams read the parent again, without recording
          return;
        }
        entry.values.push(value);
        entry.bytes += bytes;
        total.entries++;
        total.bytes += bytes;
      },
      complete(end) {
        if (entry.state !== 'filling') return;
        entry.state = 'complete';
        const last = end ?? progress?.end;
        if (last !== undefined) entry.end = last;
      },
      abandon() {
        if (entry.state !== 'filling') return;
        release(entry);
        if (entries.get(key) === entry) entries.delete(key);
      },
    };
  };

  /** Every value of `parent` read in `mode` from `start` that a later stream needs and nobody holds or records yet. */
  const recordingsOf = (parent: string, mode: SyncMode, start: State | undefined, progress?: ParentProgress): ParentStateRecording[] => {
    const out: ParentStateRecording[] = [];
    const from = stateKey(start);
    for (const [key, demand] of demands) {
      if (demand.parent !== parent || demand.mode !== mode || stateKey(demand.start) !== from || entries.has(key) || !neededLater(key)) continue;
      out.push({ value: demand.value, writer: writerFor(key, progress) });
    }
    return out;
  };

  return {
    open(parent: string, read: ParentRead, progress?: ParentProgress) {
      const mode = parentMode(manifest, parent, read.incremental);
      const start = mode === 'incremental' ? progress?.start : undefined;
      const entry = entries.get(keyOf(parent, mode, read.value, start));
      if (entry?.state === 'complete') {
        if (progress) progress.end = entry.end ?? progress.start;
        return { values: entry.values };
      }
      // Being recorded elsewhere or too big: read without recording it; other values may still be wanted.
      const record = recordingsOf(parent, mode, start, progress);
      return record.length === 0 ? undefined : { record };
    },
    enter(index) {
      current = index;
      for (const [key, entry] of entries) {
        const users = demands.get(key)?.users ?? [];
        if (users.some((user) => user >= index)) continue;
        release(entry);
        entries.delete(key);
      }
    },
    // A stream's own read starts from its own input state (incremental mode).
    taps: (stream, mode) => recordingsOf(stream, mode, mode === 'incremental' ? states.get(stream) : undefined),
    size: () => ({ ...total }),
  };
}

function keyOf(parent: string, mode: SyncMode, value: string | undefined, start: State | undefined): string {
  return JSON.stringify([parent, mode, value ?? null, mode === 'incremental' ? stateKey(start) : null]);
}
