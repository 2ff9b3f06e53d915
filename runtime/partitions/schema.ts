import { Type, type Static } from '@sinclair/typebox';
import { Expr, Strict, Template } from '../manifest/schema-helpers.js';

export const ListPartitions = Strict(
  {
    list: Template('A list, usually from config, e.g. "{{ config.repositories }}". Each item is one partition.'),
    as: Type.String({ description: 'Name of the partition value in `partition`, e.g. `repo` → `partition.repo`.' }),
  },
  { $id: 'ListPartitions', description: 'One partition per item of a list.' },
);

export const ParentPartitions = Strict(
  {
    parent: Type.String({ description: 'The parent stream; each of its records is one partition of this stream.' }),
    as: Type.String({ description: 'Name of the parent record in `partition`, e.g. `pull` → `partition.pull.number`.' }),
    value: Type.Optional(Expr('Reduce the parent record to what the child needs, e.g. "{ \'repo\': repo, \'number\': number }". Default: the whole record.')),
    incremental_parent: Type.Boolean({
      default: false,
      description:
        "Read the parent incrementally: visit only the parents changed since the last read of this stream that completed. The child keeps that parent state in its own state (`parent_state`), moved only when the child stream completes, so the parents of a read that failed or was interrupted are visited again; the parent stream's own state is not used. A child read in full_refresh mode visits every parent.",
    }),
  },
  { $id: 'ParentPartitions', description: 'Substream: one partition per record of a parent stream (repositories → pull requests → reviews).' },
);

export const Partitions = Type.Union([ListPartitions, ParentPartitions], { description: 'How a stream is split into partitions, each with its own cursor.' });

export type PartitionsNode = Static<typeof Partitions>;
