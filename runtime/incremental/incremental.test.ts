import { describe, expect, it } from 'vitest';
import type { IncrementalNode } from './schema.js';
import { compareCursors, parseDuration, addDuration, planPartition, StreamStateKeeper, partitionKey, cursorReader } from './index.js';

const node = (over: Partial<IncrementalNode> = {}): IncrementalNode => ({ order: 'unordered', client_filter: true, max_partitions_in_state: 10000, ...over });
const now = new Date('2024-03-01T00:00:00Z');

describe('compareCursors', () => {
  it('compares ISO datetimes as instants, numbers as numbers, else strings', () => {
    expect(compareCursors('2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z')).toBe(0);
    expect(compareCursors('2024-01-01T01:00:00+01:00', '2024-01-01T00:00:00Z')).toBe(0);
    expect(compareCursors(10, '9')).toBeGreaterThan(0);
    expect(compareCursors('b', 'a')).toBeGreaterThan(0);
  });
  it('reads nested cursor fields', () => {
    expect(cursorReader('pull_request.updated_at')({ pull_request: { updated_at: 'x' } })).toBe('x');
  });
  it('adds calendar durations', () => {
    expect(addDuration(new Date('2024-01-31T00:00:00Z'), parseDuration('P1D')).toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(addDuration(now, parseDuration('PT10M'), -1).toISOString()).toBe('2024-02-29T23:50:00.000Z');
  });
});

describe('planPartition', () => {
  it('uses start without state and injects the lower bound', async () => {
    const plan = await planPartition({ node: node({ start: '{{ config.start }}', lower_bound: { into: 'param', name: 'since' } }), cursorField: 'updated_at', saved: undefined, scope: { config: { start: '2024-01-01T00:00:00Z' } }, now });
    expect(plan.slices).toEqual([{ start: '2024-01-01T00:00:00Z', inject: [{ into: 'param', name: 'since', value: '2024-01-01T00:00:00Z' }], window: false }]);
    expect(plan.keep({ updated_at: '2024-01-01T00:00:00Z' })).toBe(true);
    expect(plan.keep({ updated_at: '2023-12-31T00:00:00Z' })).toBe(false);
  });
  it('with state keeps only newer records, and lookback widens the bound', async () => {
    const saved = '2024-02-01T00:00:00Z';
    const strict = await planPartition({ node: node(), cursorField: 'updated_at', saved, scope: {}, now });
    expect(strict.keep({ updated_at: saved })).toBe(false);
    expect(strict.isBeforeBound({ updated_at: '2024-01-31T00:00:00Z' })).toBe(true);
    const lookback = await planPartition({ node: node({ lookback: 'PT1H' }), cursorField: 'updated_at', saved, scope: {}, now });
    expect(lookback.bound).toBe('2024-01-31T23:00:00.000Z');
    expect(lookback.keep({ updated_at: saved })).toBe(true);
  });
  it('lookback needs a datetime cursor: a numeric or other saved cursor is a MANIFEST_SCHEMA error', async () => {
    for (const saved of [42, '42', 'opaque-token']) {
      await expect(planPartition({ node: node({ lookback: 'PT1H' }), cursorField: 'seq', saved, scope: {}, now })).rejects.toMatchObject({ code: 'MANIFEST_SCHEMA', message: expect.stringContaining('applies to datetime cursors only') });
    }
    const numeric = await planPartition({ node: node(), cursorField: 'seq', saved: 42, scope: {}, now });
    expect([numeric.keep({ seq: 42 }), numeric.keep({ seq: 43 })]).toEqual([false, true]);
  });
  it('client_filter: false keeps older records; a floor that is not the partition’s own is inclusive', async () => {
    const saved = '2024-02-01T00:00:00Z';
    const unfiltered = await planPartition({ node: node({ client_filter: false }), cursorField: 'updated_at', saved, scope: {}, now });
    expect(unfiltered.keep({ updated_at: '2020-01-01T00:00:00Z' })).toBe(true);
    const floor = await planPartition({ node: node(), cursorField: 'updated_at', saved, savedIsExact: false, scope: {}, now });
    expect(floor.keep({ updated_at: saved })).toBe(true);
  });

  it('a saved cursor in the future skips the partition', async () => {
    const plan = await planPartition({ node: node(), cursorField: 'updated_at', saved: '2030-01-01T00:00:00Z', scope: {}, now });
    expect(plan.skip).toBe(true);
  });
  it('splits [bound, now] into windows with start/end injection', async () => {
    const plan = await planPartition({
      node: node({ start: '2024-02-10T00:00:00Z', windows: { step: 'P10D', start_param: { into: 'param', name: 'from' }, end_param: { into: 'param', name: 'to', value: '{{ $substring(cursor, 0, 10) }}' } } }),
      cursorField: 'updated_at', saved: undefined, scope: {}, now,
    });
    expect(plan.slices.map((s) => [s.start, s.end])).toEqual([
      ['2024-02-10T00:00:00.000Z', '2024-02-20T00:00:00.000Z'],
      ['2024-02-20T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ]);
    expect(plan.slices[0]!.inject[1]).toEqual({ into: 'param', name: 'to', value: '2024-02-20' });
  });
});

describe('StreamStateKeeper', () => {
  it('never moves a cursor backwards', () => {
    const keeper = new StreamStateKeeper({ cursor: 5 }, 10);
    keeper.update(undefined, 3);
    expect(keeper.snapshot()).toEqual({ cursor: 5 });
  });
  it('keeps per-partition cursors with the stream-wide minimum, bounded by max partitions', () => {
    const keeper = new StreamStateKeeper(undefined, 2);
    keeper.update(partitionKey({ repo: 'a' }), '2024-01-03T00:00:00Z');
    keeper.update(partitionKey({ repo: 'b' }), '2024-01-01T00:00:00Z');
    expect(keeper.cursorFor(partitionKey({ repo: 'new' }))).toBeUndefined();
    keeper.update(partitionKey({ repo: 'c' }), '2024-01-02T00:00:00Z');
    const state = keeper.snapshot();
    expect(Object.keys(state.partitions!)).toEqual(['{"repo":"a"}', '{"repo":"c"}']);
    expect(state).toMatchObject({ cursor: '2024-01-01T00:00:00Z', evicted: true });
    // Where partitions start comes from the input state, fixed for the read...
    expect(keeper.cursorFor(partitionKey({ repo: 'b' }))).toBeUndefined();
    // ...and the next read starts a dropped partition from the floor, which is not its own cursor.
    const next = new StreamStateKeeper(state as Record<string, unknown>, 2);
    expect(next.saved(partitionKey({ repo: 'b' }))).toEqual({ cursor: '2024-01-01T00:00:00Z', exact: false });
    expect(next.saved(partitionKey({ repo: 'a' }))).toEqual({ cursor: '2024-01-03T00:00:00Z', exact: true });
  });
  it('stays bounded over many partitions and keeps the minimum of everything it dropped', () => {
    const keeper = new StreamStateKeeper(undefined, 1000);
    for (let i = 0; i < 5000; i++) keeper.update(partitionKey({ n: i }), new Date(Date.UTC(2024, 0, 1) + ((i * 7919) % 5000) * 60_000).toISOString());
    const state = keeper.snapshot();
    expect(Object.keys(state.partitions!)).toHaveLength(1000);
    expect(state).toMatchObject({ cursor: '2024-01-01T00:00:00.000Z', evicted: true });
    const restored = new StreamStateKeeper(state as Record<string, unknown>, 1000);
    expect(restored.cursorFor(partitionKey({ n: 'unknown' }))).toBe('2024-01-01T00:00:00.000Z');
    expect(restored.snapshot()).toEqual(state);
  });

  it('partition keys do not depend on object key order', () => {
    expect(partitionKey({ b: 1, a: { d: 1, c: 2 } })).toBe(partitionKey({ a: { c: 2, d: 1 }, b: 1 }));
  });
});
