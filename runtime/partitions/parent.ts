import { createParentReducer } from './parent-reducer.js';
import type { PartitionFactory } from './types.js';

/**
 * `partitions: { parent, as, value }`: one partition per record of the parent stream, read lazily
 * through the engine (a child partition starts while the parent is still paging). Parents that
 * reduce to the same `value` give one partition. With a `parentCache` (one per read), the values of
 * a parent already read in this read are replayed instead of reading the parent again, and this
 * read records the values the streams that follow will need from the same parent records.
 */
export const parentPartitions: PartitionFactory<'parent'> = (node, { scope, readParent, parentCache }) => ({
  async *[Symbol.asyncIterator]() {
    const slot = parentCache?.open(node.parent, { incremental: node.incremental_parent, value: node.value });
    if (slot && 'values' in slot) {
      for (const item of slot.values) yield { [node.as]: item };
      return;
    }
    const recordings = slot?.record ?? [];
    const own = recordings.find((recording) => recording.value === node.value)?.writer;
    const others = recordings.filter((recording) => recording.value !== node.value).map(({ value, writer }) => ({ reduce: createParentReducer(value, node.as, scope), writer }));
    let completed = false;
    try {
      const reduce = createParentReducer(node.value, node.as, scope);
      for await (const record of readParent(node.parent, { incremental: node.incremental_parent })) {
        for (const other of others) {
          const reduced = await other.reduce(record);
          if (reduced) other.writer.add(reduced.item, reduced.key.length);
        }
        const reduced = await reduce(record);
        if (!reduced) continue;
        own?.add(reduced.item, reduced.key.length);
        yield { [node.as]: reduced.item };
      }
      completed = true;
      for (const recording of recordings) recording.writer.complete();
    } finally {
      // A parent read that failed or was stopped early (check, a failing child) is not complete.
      if (!completed) for (const recording of recordings) recording.writer.abandon();
    }
  },
});
