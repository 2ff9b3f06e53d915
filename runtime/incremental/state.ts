import { compareCursors, isCursorValue, minCursor, type CursorValue } from './cursor-value.js';

/**
 * The state of one stream, as emitted in STATE messages:
 * `{ cursor }` for an unpartitioned stream;
 * `{ partitions: { "<partition key json>": { cursor } }, cursor: <min over partitions>, evicted? }`
 * for a partitioned one. Past `max_partitions_in_state` partitions, those with the oldest cursors are
 * dropped and `evicted` is set: from then on a partition missing from the map starts from the
 * stream-wide (minimum) cursor, so nothing is skipped. Without eviction a partition missing from
 * the map is new (a repository added to the config) and starts from `start`, keeping its history.
 */
export interface StreamCursorState {
  cursor?: CursorValue;
  partitions?: Record<string, { cursor: CursorValue }>;
  evicted?: boolean;
}

export class StreamStateKeeper {
  private cursor: CursorValue | undefined;
  private readonly partitions = new Map<string, CursorValue>();
  private evicted: boolean;

  constructor(initial: Readonly<Record<string, unknown>> | undefined, private readonly maxPartitions: number) {
    const state = (initial ?? {}) as StreamCursorState;
    this.cursor = isCursorValue(state.cursor) ? state.cursor : undefined;
    this.evicted = state.evicted === true;
    for (const [key, value] of Object.entries(state.partitions ?? {})) {
      if (isCursorValue(value?.cursor)) this.partitions.set(key, value.cursor);
    }
  }

  /** The saved cursor of a partition (undefined key: the unpartitioned stream). */
  cursorFor(partitionKey: string | undefined): CursorValue | undefined {
    if (partitionKey === undefined) return this.cursor;
    const own = this.partitions.get(partitionKey);
    if (own !== undefined) return own;
    return this.evicted ? this.cursor : undefined;
  }

  /** Record a partition's new cursor; it never moves backwards. */
  update(partitionKey: string | undefined, cursor: CursorValue | undefined): void {
    if (cursor === undefined) return;
    const old = this.cursorFor(partitionKey);
    const next = old !== undefined && compareCursors(old, cursor) >= 0 ? old : cursor;
    if (partitionKey === undefined) {
      this.cursor = next;
      return;
    }
    this.partitions.delete(partitionKey); // re-insert: Map order is then least recently updated first
    this.partitions.set(partitionKey, next);
    this.cursor = minOfPartitions(this.partitions, this.evicted ? this.cursor : undefined);
    this.evict();
  }

  snapshot(): StreamCursorState {
    const out: StreamCursorState = {};
    if (this.partitions.size > 0) out.partitions = Object.fromEntries([...this.partitions].map(([key, cursor]) => [key, { cursor }]));
    if (this.cursor !== undefined) out.cursor = this.cursor;
    if (this.evicted) out.evicted = true;
    return out;
  }

  private evict(): void {
    if (this.partitions.size <= this.maxPartitions) return;
    const byAge = [...this.partitions].sort((a, b) => compareCursors(a[1], b[1]));
    for (const [key] of byAge.slice(0, this.partitions.size - this.maxPartitions)) this.partitions.delete(key);
    this.evicted = true; // `cursor` already holds the minimum, evicted partitions included
  }
}

function minOfPartitions(partitions: Map<string, CursorValue>, floor: CursorValue | undefined): CursorValue | undefined {
  let min = floor;
  for (const cursor of partitions.values()) min = minCursor(min, cursor);
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
