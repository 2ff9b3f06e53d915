import type { Scope } from '../expressions/index.js';
import type { PartitionsNode } from './schema.js';

/** One partition: `{ [as]: value }`, seen by templates as `partition.<as>`. */
export type Partition = Readonly<Record<string, unknown>>;

/** Reads a parent stream's mapped records through the engine (substreams). */
export type ParentReader = (parent: string, options: { incremental: boolean }) => AsyncIterable<Record<string, unknown>>;

export interface PartitionContext {
  /** `config`, `now`... for the `list` template and the parent `value` expression. */
  scope: Scope;
  readParent: ParentReader;
  /** Parent values shared by the streams of one read (runtime/sync); absent: every parent is read afresh. */
  parentCache?: ParentValueCache;
}

/** What a parent of a substream is read as: the child's `incremental_parent` and `value`. */
export interface ParentRead {
  incremental: boolean;
  /** The `value` expression's source; undefined: whole records. */
  value: string | undefined;
}

/**
 * Parent partition values shared within one read. `open` answers the values of a complete earlier
 * read of the same parent (same mode, same `value`), or the recordings this read of the parent
 * should make for the streams that follow (its own `value` and any other `value` they reduce the
 * same parent records with), or undefined (nothing worth recording, or too big: just read).
 */
export interface ParentValueCache {
  open(parent: string, read: ParentRead): { values: Iterable<unknown> } | { record: readonly ParentRecording[] } | undefined;
}

/** Record the values a parent's records reduce to with `value` (undefined: whole records). */
export interface ParentRecording {
  value: string | undefined;
  writer: ParentValueWriter;
}

export interface ParentValueWriter {
  /** One distinct value, with its approximate size (JSON characters). Past the cache's cap the recording is dropped. */
  add(value: unknown, bytes: number): void;
  /** The parent was read to its end: the values may be replayed. */
  complete(): void;
  /** The parent read failed or stopped early: forget what was recorded. */
  abandon(): void;
}

export type PartitionKind = 'list' | 'parent';
export type PartitionsNodeOf<K extends PartitionKind> = Extract<PartitionsNode, Record<K, unknown>>;
export type PartitionFactory<K extends PartitionKind> = (node: PartitionsNodeOf<K>, context: PartitionContext) => AsyncIterable<Partition>;
