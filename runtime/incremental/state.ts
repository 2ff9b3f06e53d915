import { asInstant, compareCursors, isCursorValue, type CursorValue } from './cursor-value.js';

/**
 * The state of one stream, as emitted in STATE messages:
 * `{ cursor }` for an unpartitioned stream;
 * `{ partitions: { "<partition key json>": { cursor } }, cursor: <min over partitions>, evicted? }`
 * for a partitioned one. Past `max_partitions_in_state` partitions, the one with the oldest cursor
 * is dropped and `evicted` is set: from then on a partition missing from the map starts from the
 * stream-wide (minimum) cursor, so nothing is skipped. Without eviction a partition missing from
 * the map is new (a repository added to the config) and starts from `start`, keeping its history.
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

export class StreamStateKeeper {
  /** Unpartitioned: the cursor. Partitioned: the minimum over evicted partitions (the floor). */
  private own: Entry | undefined;
  private readonly partitions = new Map<string, Entry>();
  private evicted: boolean;
  private min: { value: Entry | undefined } | undefined;

  constructor(initial: Readonly<Record<string, unknown>> | undefined, private readonly maxPartitions: number) {
    const state = (initial ?? {}) as StreamCursorState;
    this.evicted = state.evicted === true;
    for (const [key, value] of Object.entries(state.partitions ?? {})) {
      if (isCursorValue(value?.cursor)) this.partitions.set(key, entry(value.cursor));
    }
    // For a partitioned state `cursor` is derived (the minimum); it is kept only as the evicted floor.
    const partitioned = this.partitions.size > 0 || this.evicted;
    if (isCursorValue(state.cursor) && (!partitioned || this.evicted)) this.own = entry(state.cursor);
  }

  /** The saved cursor of a partition (undefined key: the unpartitioned stream). */
  cursorFor(partitionKey: string | undefined): CursorValue | undefined {
    if (partitionKey === undefined) return this.own?.cursor;
    const saved = this.partitions.get(partitionKey);
    if (saved) return saved.cursor;
    return this.evicted ? this.streamMin()?.cursor : undefined;
  }

  /** Record a partition's new cursor; it never moves backwards. */
  update(partitionKey: string | undefined, cursor: CursorValue | undefined): void {
    if (cursor === undefined) return;
    const proposed = entry(cursor);
    if (partitionKey === undefined) {
      if (!this.own || compare(proposed, this.own) > 0) this.own = proposed;
      return;
    }
    const old = this.partitions.get(partitionKey) ?? (this.evicted ? this.streamMin() : undefined);
    const next = old && compare(old, proposed) >= 0 ? old : proposed;
    this.partitions.delete(partitionKey); // re-insert: Map order is then least recently updated first
    this.partitions.set(partitionKey, next);
    this.min = undefined;
    if (this.partitions.size > this.maxPartitions) this.evictOldest();
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
    if (!this.min) {
      let min = this.evicted ? this.own : undefined;
      for (const value of this.partitions.values()) if (!min || compare(value, min) < 0) min = value;
      this.min = { value: min };
    }
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

/** A stable JSON key for a partition (object keys sorted), so state survives key-order changes. */
export function partitionKey(partition: unknown): string {
  return JSON.stringify(partition, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
