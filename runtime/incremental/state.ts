import { asInstant, compareCursors, isCursorValue, type CursorValue } from './cursor-value.js';

/**
 * The state of one stream, as emitted in STATE messages:
 * `{ cursor }` for an unpartitioned stream;
 * `{ partitions: { "<partition key json>": { cursor } }, cursor: <min over partitions>, evicted? }`
 * for a partitioned one. Past `max_partitions_in_state` partitions, the one with the oldest cursor
 * is dropped and `evicted` is set: from then on a partition missing from the map starts from the
 * stream-wide (minimum) cursor, so nothing is skipped. Without eviction a partition missing from
 * the map is new (a repository added to the config) and starts from `start`, keeping its history.
 * A substream with `incremental_parent` also keeps `parent_state` (runtime/sync/parent-progress.ts),
 * which this keeper ignores.
 */
export interface StreamCursorState {
  cursor?: CursorValue;
  partitions?: Record<string, { cursor: CursorValue }>;
  evicted?: boolean;
}

/** A cursor with a precomputed numeric order when it has one (instant or number): scans stay cheap. */
interface Entry {
  cursor: CursorValue;
  order: number | undefined;
}

const entry = (cursor: CursorValue): Entry => ({ cursor, order: asInstant(cursor) ?? (typeof cursor === 'number' ? cursor : undefined) });
const compare = (a: Entry, b: Entry) => (a.order !== undefined && b.order !== undefined ? a.order - b.order : compareCursors(a.cursor, b.cursor));

/** Where a partition starts: its own saved cursor (`exact`), or the stream-wide floor after eviction. */
export interface SavedCursor {
  cursor: CursorValue;
  /** False when the cursor is the stream-wide floor, not this partition's own: records AT it were not necessarily emitted. */
  exact: boolean;
}

/**
 * Reads the input state (where each partition starts: fixed for the whole read, whatever happens
 * to the live state meanwhile) and keeps the live state that STATE messages carry.
 */
export class StreamStateKeeper {
  private readonly input: { partitions: ReadonlyMap<string, Entry>; own: Entry | undefined; evicted: boolean };
  /** Unpartitioned: the cursor. Partitioned: the minimum over evicted partitions (the floor). */
  private own: Entry | undefined;
  private readonly partitions: Map<string, Entry>;
  private evicted: boolean;
  private min: { value: Entry | undefined } | undefined;

  constructor(initial: Readonly<Record<string, unknown>> | undefined, private readonly maxPartitions: number) {
    const state = (initial ?? {}) as StreamCursorState;
    const partitions = new Map<string, Entry>();
    for (const [key, value] of Object.entries(state.partitions ?? {})) {
      if (isCursorValue(value?.cursor)) partitions.set(key, entry(value.cursor));
    }
    const evicted = state.evicted === true;
    // For a partitioned state `cursor` is derived (the minimum); it is kept only as the evicted floor.
    const partitioned = partitions.size > 0 || evicted;
    const own = isCursorValue(state.cursor) && (!partitioned || evicted) ? entry(state.cursor) : undefined;
    this.input = { partitions, own, evicted };
    this.partitions = new Map(partitions);
    this.own = own;
    this.evicted = evicted;
  }

  /** Where a partition starts (undefined key: the unpartitioned stream), from the input state. */
  saved(partitionKey: string | undefined): SavedCursor | undefined {
    if (partitionKey === undefined) return this.input.own && { cursor: this.input.own.cursor, exact: true };
    const own = this.input.partitions.get(partitionKey);
    if (own) return { cursor: own.cursor, exact: true };
    if (!this.input.evicted) return undefined;
    const floor = minOf(this.input.partitions.values(), this.input.own);
    return floor && { cursor: floor.cursor, exact: false };
  }

  /** The saved cursor of a partition, from the input state. */
  cursorFor(partitionKey: string | undefined): CursorValue | undefined {
    return this.saved(partitionKey)?.cursor;
  }

  /**
   * Record a partition's new cursor; it never moves backwards from where the partition started.
   * Returns false when the state did not change (nothing new to checkpoint).
   */
  update(partitionKey: string | undefined, cursor: CursorValue | undefined): boolean {
    if (cursor === undefined) return false;
    const proposed = entry(cursor);
    if (partitionKey === undefined) {
      if (this.own && compare(proposed, this.own) <= 0) return false;
      this.own = proposed;
      return true;
    }
    const kept = this.partitions.get(partitionKey);
    const start = this.saved(partitionKey);
    const old = kept ?? (start && entry(start.cursor));
    const next = old && compare(old, proposed) >= 0 ? old : proposed;
    this.partitions.delete(partitionKey); // re-insert: Map order is then least recently updated first
    this.partitions.set(partitionKey, next);
    this.min = undefined;
    if (this.partitions.size > this.maxPartitions) this.evictOldest();
    return kept === undefined || next !== kept;
  }

  /** Partitions whose cursor is kept. */
  get size(): number {
    return this.partitions.size;
  }

  snapshot(): StreamCursorState {
    const out: StreamCursorState = {};
    if (this.partitions.size > 0) out.partitions = Object.fromEntries([...this.partitions].map(([key, value]) => [key, { cursor: value.cursor }]));
    const cursor = this.partitions.size > 0 || this.evicted ? this.streamMin()?.cursor : this.own?.cursor;
    if (cursor !== undefined) out.cursor = cursor;
    if (this.evicted) out.evicted = true;
    return out;
  }

  /** The minimum over kept partitions and the evicted floor (cached until the next update). */
  private streamMin(): Entry | undefined {
    this.min ??= { value: minOf(this.partitions.values(), this.evicted ? this.own : undefined) };
    return this.min.value;
  }

  private evictOldest(): void {
    let oldestKey: string | undefined;
    let oldest: Entry | undefined;
    for (const [key, value] of this.partitions) {
      if (!oldest || compare(value, oldest) < 0) {
        oldest = value;
        oldestKey = key;
      }
    }
    if (oldestKey === undefined || !oldest) return;
    this.partitions.delete(oldestKey);
    if (!this.evicted || !this.own || compare(oldest, this.own) < 0) this.own = oldest;
    this.evicted = true;
    this.min = undefined;
  }
}

function minOf(values: Iterable<Entry>, floor: Entry | undefined): Entry | undefined {
  let min = floor;
  for (const value of values) if (!min || compare(value, min) < 0) min = value;
  return min;
}

/** A stable JSON key for a partition (object keys sorted), so state survives key-order changes. */
export function partitionKey(partition: unknown): string {
  return JSON.stringify(partition, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
