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
}

export type PartitionKind = 'list' | 'parent';
export type PartitionsNodeOf<K extends PartitionKind> = Extract<PartitionsNode, Record<K, unknown>>;
export type PartitionFactory<K extends PartitionKind> = (node: PartitionsNodeOf<K>, context: PartitionContext) => AsyncIterable<Partition>;
