import { ConnectorError, type SourceLocation } from '../errors/index.js';
import { compileTemplate, type Scope } from '../expressions/index.js';
import type { InjectedValue } from '../pagination/index.js';
import { asInstant, compareCursors, cursorReader, isCursorValue, type CursorValue } from './cursor-value.js';
import { addDuration, parseDuration } from './duration.js';
import type { BoundInjectionNode, IncrementalNode } from './schema.js';

/** One series of paginated requests of a partition: the whole range, or one datetime window. */
export interface Slice {
  start?: CursorValue;
  end?: CursorValue;
  /** Bound values to put into the slice's first request (and kept on every page). */
  inject: InjectedValue[];
  /** True for a datetime window: state is checkpointed after it. */
  window: boolean;
}

/** What incremental reading means for one partition, given its saved cursor. */
export interface PartitionPlan {
  /** The saved cursor is in the future: read nothing, keep the state as it is. */
  skip: boolean;
  /** The lower bound (saved cursor minus lookback, or `start`), if any. */
  bound: CursorValue | undefined;
  slices: Slice[];
  /** `client_filter`: false for a record older than the bound (or not newer than the saved cursor). */
  keep(record: Record<string, unknown>): boolean;
  /** `order: descending`: true once a record is older than the bound, so paging can stop. */
  isBeforeBound(record: Record<string, unknown>): boolean;
  /** The record's cursor value, if it has a usable one. */
  cursorOf(record: Record<string, unknown>): CursorValue | undefined;
}

export interface PlanInput {
  node: IncrementalNode | undefined;
  cursorField: string | undefined;
  /** The partition's saved cursor. */
  saved: CursorValue | undefined;
  /** False when `saved` is the stream-wide floor rather than this partition's own cursor (default true). */
  savedIsExact?: boolean;
  /** config, partition... for `start`, `windows.end` and injection templates. */
  scope: Scope;
  now: Date;
  /** Where `incremental.lookback` is in the manifest, for the error when it cannot apply. */
  lookbackLocation?: SourceLocation;
}

/**
 * Plan the reads of one partition. Without an `incremental` node (or a cursor field) it is one
 * unbounded slice that keeps every record.
 */
export async function planPartition({ node, cursorField, saved, savedIsExact = true, scope, now, lookbackLocation }: PlanInput): Promise<PartitionPlan> {
  const read = cursorField ? cursorReader(cursorField) : () => undefined;
  const cursorOf = (record: Record<string, unknown>) => {
    const value = read(record);
    return isCursorValue(value) ? value : undefined;
  };
  if (!node || !cursorField) {
    return { skip: false, bound: undefined, slices: [{ inject: [], window: false }], keep: () => true, isBeforeBound: () => false, cursorOf };
  }
  const savedInstant = asInstant(saved);
  // A saved cursor from the future (clock skew, a hand-edited state) reads nothing rather than
  // moving the state backwards or re-reading everything.
  if (savedInstant !== undefined && savedInstant > now.getTime()) {
    return { skip: true, bound: saved, slices: [], keep: () => false, isBeforeBound: () => true, cursorOf };
  }
  if (node.lookback !== undefined && saved !== undefined && savedInstant === undefined) throw lookbackNeedsDatetime(node.lookback, cursorField, saved, lookbackLocation);
  const bound = await lowerBound(node, saved, scope, now);
  // Without lookback, a record AT the partition's own saved cursor was emitted by the previous read:
  // keep only newer. A floor inherited from other partitions promises nothing: keep records at it.
  const strict = saved !== undefined && bound === saved && savedIsExact;
  const keep = (record: Record<string, unknown>) => {
    if (!node.client_filter || bound === undefined) return true;
    const value = cursorOf(record);
    if (value === undefined) return true; // no cursor: cannot judge, keep it
    const c = compareCursors(value, bound);
    return strict ? c > 0 : c >= 0;
  };
  const isBeforeBound = (record: Record<string, unknown>) => {
    if (bound === undefined) return false;
    const value = cursorOf(record);
    return value !== undefined && (strict ? compareCursors(value, bound) <= 0 : compareCursors(value, bound) < 0);
  };
  const slices = node.windows ? await windows(node, bound, scope, now) : [await single(node.lower_bound, bound, scope)];
  return { skip: false, bound, slices, keep, isBeforeBound, cursorOf };
}

/**
 * `lookback` is a duration: it moves a datetime cursor back in time. Silently ignoring it on a numeric
 * (or other) cursor would make the author believe late updates are re-read when they are not.
 */
function lookbackNeedsDatetime(lookback: string, cursorField: string, saved: CursorValue, location: SourceLocation | undefined): ConnectorError {
  const kind = typeof saved === 'number' || /^-?\d+(?:\.\d+)?$/.test(saved) ? 'a number' : 'not a datetime';
  return new ConnectorError('MANIFEST_SCHEMA', `incremental.lookback ${JSON.stringify(lookback)} applies to datetime cursors only, but the saved cursor of \`${cursorField}\` is ${JSON.stringify(saved)} (${kind})`, {
    hint: 'Remove `lookback` from this stream, or use a datetime `cursor_field` (e.g. updated_at).',
    ...(location ? { location } : {}),
  });
}

async function lowerBound(node: IncrementalNode, saved: CursorValue | undefined, scope: Scope, now: Date): Promise<CursorValue | undefined> {
  if (saved !== undefined) {
    const instant = asInstant(saved);
    if (!node.lookback || instant === undefined) return saved;
    return addDuration(new Date(instant), parseDuration(node.lookback), -1).toISOString();
  }
  if (node.start === undefined) return undefined;
  const start = await compileTemplate(node.start).render({ ...scope, now: now.toISOString() });
  return isCursorValue(start) ? start : undefined;
}

async function single(injection: BoundInjectionNode | undefined, bound: CursorValue | undefined, scope: Scope): Promise<Slice> {
  const inject = injection && bound !== undefined ? [await injected(injection, bound, scope)] : [];
  return { ...(bound === undefined ? {} : { start: bound }), inject, window: false };
}

/** Datetime windows from the bound to `end` (default now), each `step` wide; the last one is shorter. */
async function windows(node: IncrementalNode, bound: CursorValue | undefined, scope: Scope, now: Date): Promise<Slice[]> {
  const spec = node.windows!;
  const startMs = asInstant(bound);
  // No datetime bound (no state, no `start`): one unbounded series, nothing to split.
  if (startMs === undefined) return [await single(node.lower_bound, bound, scope)];
  const endValue = spec.end === undefined ? undefined : await compileTemplate(spec.end).render({ ...scope, now: now.toISOString() });
  const endMs = asInstant(endValue) ?? now.getTime();
  const step = parseDuration(spec.step);
  const out: Slice[] = [];
  let start = new Date(startMs);
  while (start.getTime() < endMs) {
    const next = addDuration(start, step);
    const end = new Date(Math.min(next.getTime(), endMs));
    const [s, e] = [start.toISOString(), end.toISOString()];
    out.push({
      start: s,
      end: e,
      // `lower_bound`, when also declared, follows the window's start.
      inject: [
        await injected(spec.start_param, s, scope),
        await injected(spec.end_param, e, scope),
        ...(node.lower_bound ? [await injected(node.lower_bound, s, scope)] : []),
      ],
      window: true,
    });
    if (next.getTime() <= start.getTime()) break; // a zero step cannot advance
    start = end;
  }
  return out;
}

async function injected(injection: BoundInjectionNode, cursor: CursorValue, scope: Scope): Promise<InjectedValue> {
  const value = injection.value === undefined ? cursor : await compileTemplate(injection.value).render({ ...scope, cursor });
  return { into: injection.into, name: injection.name, value };
}
