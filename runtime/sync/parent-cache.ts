import type { ManifestNode } from '../manifest/schema.js';
import type { ParentRead, ParentRecording, ParentValueCache, ParentValueWriter } from '../partitions/index.js';
import type { SyncMode } from '../protocol/messages.js';
import { supportsIncremental, type PlannedStream } from './catalog.js';

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

/** The mode a child reads its parent in: incremental only when it asks and the parent supports it. */
export function parentMode(manifest: ManifestNode, parent: string, incremental: boolean): SyncMode {
  const stream = manifest.streams[parent];
  return incremental && stream && supportsIncremental(stream) ? 'incremental' : 'full_refresh';
}

/** The parent value cache of one `read`: which streams need which parent values, and when. */
export interface ReadParentCache extends ParentValueCache {
  /** The stream at `index` of the plan starts: values no stream from `index` on needs are dropped. */
  enter(index: number): void;
  /** Recordings of the values later streams need from `stream` read in `mode`, fed by its own read. */
  taps(stream: string, mode: SyncMode): ParentRecording[];
  /** Values and bytes held now (tests, diagnostics). */
  size(): { entries: number; bytes: number };
}

interface Demand {
  parent: string;
  mode: SyncMode;
  value: string | undefined;
  /** Plan indexes of the streams that read this parent this way (directly or through their parent). */
  users: number[];
}

interface Entry {
  state: 'filling' | 'complete' | 'too_big';
  values: unknown[];
  bytes: number;
}

/**
 * Within one read, a parent is read once and its partition values (the `value` output, or whole
 * records without `value`) are replayed to every later stream that reads it the same way (same
 * parent, same mode, same `value`), including from the parent's own stream when it comes first in
 * the catalog. Streams are read one after another, so a value is only kept while a later stream
 * still needs it. Past the limits the recording is dropped and later streams read the parent again.
 */
export function createReadParentCache(manifest: ManifestNode, planned: readonly PlannedStream[], limits: ResolvedParentCacheLimits): ReadParentCache {
  const demands = new Map<string, Demand>();
  planned.forEach(({ name }, index) => {
    const visited = new Set<string>();
    for (let stream = manifest.streams[name]; stream?.partitions && 'parent' in stream.partitions && !visited.has(name); ) {
      visited.add(name);
      const { parent, incremental_parent: incremental, value } = stream.partitions;
      const mode = parentMode(manifest, parent, incremental);
      const key = keyOf(parent, mode, value);
      const demand = demands.get(key) ?? { parent, mode, value, users: [] };
      demand.users.push(index);
      demands.set(key, demand);
      name = parent;
      stream = manifest.streams[parent];
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
  const writerFor = (key: string): ParentValueWriter => {
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
      complete() {
        if (entry.state === 'filling') entry.state = 'complete';
      },
      abandon() {
        if (entry.state !== 'filling') return;
        release(entry);
        if (entries.get(key) === entry) entries.delete(key);
      },
    };
  };

  /** Every value of `parent` read in `mode` that a later stream needs and nobody holds or records yet. */
  const recordingsOf = (parent: string, mode: SyncMode): ParentRecording[] => {
    const out: ParentRecording[] = [];
    for (const [key, demand] of demands) {
      if (demand.parent !== parent || demand.mode !== mode || entries.has(key) || !neededLater(key)) continue;
      out.push({ value: demand.value, writer: writerFor(key) });
    }
    return out;
  };

  return {
    open(parent: string, read: ParentRead) {
      const mode = parentMode(manifest, parent, read.incremental);
      const entry = entries.get(keyOf(parent, mode, read.value));
      if (entry?.state === 'complete') return { values: entry.values };
      // Being recorded elsewhere or too big: read without recording it; other values may still be wanted.
      const record = recordingsOf(parent, mode);
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
    taps: recordingsOf,
    size: () => ({ ...total }),
  };
}

function keyOf(parent: string, mode: SyncMode, value: string | undefined): string {
  return JSON.stringify([parent, mode, value ?? null]);
}
