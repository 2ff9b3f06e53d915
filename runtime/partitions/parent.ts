import { compileExpression } from '../expressions/index.js';
import { partitionKey } from '../incremental/index.js';
import type { PartitionFactory } from './types.js';

const MAX_REMEMBERED = 50_000;

/**
 * `partitions: { parent, as, value }`: one partition per record of the parent stream, read lazily
 * through the engine (a child partition starts while the parent is still paging). Parents that
 * reduce to the same `value` give one partition.
 */
export const parentPartitions: PartitionFactory<'parent'> = (node, { scope, readParent }) => ({
  async *[Symbol.asyncIterator]() {
    const value = node.value === undefined ? undefined : compileExpression(node.value);
    const seen = new Set<string>();
    for await (const record of readParent(node.parent, { incremental: node.incremental_parent })) {
      const item = value ? await value.evaluate(record, scope) : record;
      if (item === undefined || item === null) continue;
      const partition = { [node.as]: item };
      const key = partitionKey(partition);
      if (seen.has(key)) continue;
      seen.add(key);
      // Remember the most recent keys only: memory stays bounded on huge parents, and the duplicates
      // `value` creates (many pull requests → one repository) arrive close together.
      if (seen.size > MAX_REMEMBERED) seen.delete(seen.values().next().value as string);
      yield partition;
    }
  },
});
