import type { PartitionsNode } from './schema.js';
import { listPartitions } from './list.js';
import { parentPartitions } from './parent.js';
import type { Partition, PartitionContext, PartitionFactory, PartitionKind, PartitionsNodeOf } from './types.js';

/** One factory per partition kind; the kind is the key that tells the union apart. */
export const partitionFactories: { [K in PartitionKind]: PartitionFactory<K> } = {
  list: listPartitions,
  parent: parentPartitions,
};

export function partitionKind(node: PartitionsNode): PartitionKind {
  return 'list' in node ? 'list' : 'parent';
}

/** The partitions of a stream; an unpartitioned stream has one empty partition. */
export function listStreamPartitions(node: PartitionsNode | undefined, context: PartitionContext): AsyncIterable<Partition> {
  if (!node) return (async function* () { yield {}; })();
  const kind = partitionKind(node);
  const factory = partitionFactories[kind] as PartitionFactory<PartitionKind>;
  return factory(node as PartitionsNodeOf<PartitionKind>, context);
}

export { createParentReducer, type ReducedParent } from './parent-reducer.js';
export type { ParentRead, ParentReader, ParentRecording, ParentValueCache, ParentValueWriter, Partition, PartitionContext } from './types.js';
