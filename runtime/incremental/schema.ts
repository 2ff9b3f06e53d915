import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict, Template } from '../manifest/schema-helpers.js';
import { Injection } from '../pagination/schema.js';

export const BoundInjection = Strict(
  {
    into: Injection.properties.into,
    name: Injection.properties.name,
    value: Type.Optional(Template('How the bound is written, over `cursor` (and the usual scope). Default: "{{ cursor }}".')),
  },
  { $id: 'BoundInjection', description: 'Where a cursor bound goes in the request, and how it is formatted.' },
);

export const DatetimeWindows = Strict(
  {
    step: Duration('Width of one window, e.g. "P30D".'),
    end: Type.Optional(Template('Upper bound of the last window (default now).')),
    start_param: BoundInjection,
    end_param: BoundInjection,
  },
  { $id: 'DatetimeWindows', description: 'Split the range [cursor, now] into windows, one request series each; state is checkpointed after each window.' },
);

export const Incremental = Strict(
  {
    order: Type.Union([Type.Literal('ascending'), Type.Literal('descending'), Type.Literal('unordered')], {
      default: 'unordered',
      description: 'The order the API returns records in by cursor. descending: stop paging once a record is older than the saved cursor.',
    }),
    start: Type.Optional(Template('Lower bound when there is no state, e.g. "{{ config.start_date }}".')),
    lookback: Type.Optional(
      Duration(
        'Re-read this much before the saved cursor, for late-arriving updates, e.g. "PT10M". Datetime cursors only: with a saved cursor that is a number (or another non-datetime value) the read fails with MANIFEST_SCHEMA rather than silently not looking back.',
      ),
    ),
    lower_bound: Type.Optional(BoundInjection),
    windows: Type.Optional(DatetimeWindows),
    client_filter: Type.Boolean({ default: true, description: 'Drop records older than the lower bound even if the API returns them.' }),
    max_partitions_in_state: Type.Integer({ minimum: 1, default: 10000, description: 'Bound on per-partition cursors kept in state; past it the oldest fall back to the stream-wide cursor.' }),
  },
  { $id: 'Incremental', description: 'Incremental reads on `cursor_field`.' },
);

export type IncrementalNode = Static<typeof Incremental>;
export type BoundInjectionNode = Static<typeof BoundInjection>;
