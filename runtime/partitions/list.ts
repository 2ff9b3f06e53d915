import { compileTemplate } from '../expressions/index.js';
import { ConnectorError } from '../errors/index.js';
import type { PartitionFactory } from './types.js';

/** `partitions: { list, as }`: one partition per item of the rendered list (a scalar is a list of one). */
export const listPartitions: PartitionFactory<'list'> = (node, { scope }) => ({
  async *[Symbol.asyncIterator]() {
    const value = await compileTemplate(node.list).render(scope);
    if (value === undefined || value === null || value === '') {
      throw new ConnectorError('CONFIG_INVALID', `partitions.list ${JSON.stringify(node.list)} rendered to nothing`, {
        hint: 'Set the config value the list refers to (e.g. a non-empty array of repositories).',
      });
    }
    for (const item of Array.isArray(value) ? value : [value]) yield { [node.as]: item };
  },
});
