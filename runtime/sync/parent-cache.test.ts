import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { createReadParentCache, resolveParentCacheLimits } from './parent-cache.js';

const manifest = parseManifest(`name: t
version: 1.0.0
spec: { type: object }
requester: { url_base: "http://127.0.0.1" }
streams:
  repos: { primary_key: id, schema: { type: object }, request: { path: /repos } }
  pulls:
    primary_key: id
    schema: { type: object }
    cursor_field: updated_at
    incremental: {}
    partitions: { parent: repos, as: repo, value: full_name }
    request: { path: /pulls }
  issues:
    primary_key: id
    schema: { type: object }
    partitions: { parent: repos, as: repo, value: full_name }
    request: { path: /issues }
  reviews:
    primary_key: id
    schema: { type: object }
    cursor_field: submitted_at
    incremental: {}
    partitions: { parent: pulls, as: pull, value: number, incremental_parent: true }
    request: { path: /reviews }
`, 't.yaml').node;

const plan = (...names: string[]) => names.map((name) => ({ name, mode: name === 'pulls' ? ('incremental' as const) : ('full_refresh' as const) }));
const full = { incremental: false, value: 'full_name' };

describe('createReadParentCache', () => {
  it('records a parent for later streams, replays it, and drops it once no later stream needs it', () => {
    const cache = createReadParentCache(manifest, plan('pulls', 'issues', 'repos'), resolveParentCacheLimits(undefined));
    cache.enter(0);
    const slot = cache.open('repos', full);
    expect(slot && 'record' in slot && slot.record.map((r) => r.value)).toEqual(['full_name']);
    if (!slot || !('record' in slot)) throw new Error('expected a recording');
    slot.record[0]!.writer.add('a/b', 5);
    slot.record[0]!.writer.complete();
    cache.enter(1);
    expect(cache.open('repos', full)).toEqual({ values: ['a/b'] });
    expect(cache.size()).toEqual({ entries: 1, bytes: 5 });
    cache.enter(2); // `repos` itself does not read a parent: nothing left needs the values
    expect(cache.size()).toEqual({ entries: 0, bytes: 0 });
  });

  it('the last stream that needs a parent does not record it', () => {
    const cache = createReadParentCache(manifest, plan('issues'), resolveParentCacheLimits(undefined));
    cache.enter(0);
    expect(cache.open('repos', full)).toBeUndefined();
  });

  it("a parent's own stream feeds later children; a grandchild's chain counts (reviews → pulls → repos)", () => {
    const cache = createReadParentCache(manifest, plan('repos', 'pulls', 'reviews'), resolveParentCacheLimits(undefined));
    cache.enter(0);
    expect(cache.taps('repos', 'full_refresh').map((t) => t.value)).toEqual(['full_name']);
    cache.enter(1);
    expect(cache.taps('pulls', 'incremental').map((t) => t.value)).toEqual(['number']);
    expect(cache.taps('pulls', 'full_refresh')).toEqual([]); // reviews reads pulls incrementally
  });

  it('past maxEntries the recording is dropped and the parent is read again (without recording)', () => {
    const cache = createReadParentCache(manifest, plan('pulls', 'issues'), resolveParentCacheLimits({ maxEntries: 1 }));
    cache.enter(0);
    const slot = cache.open('repos', full);
    if (!slot || !('record' in slot)) throw new Error('expected a recording');
    const { writer } = slot.record[0]!;
    writer.add('a/b', 3);
    writer.add('c/d', 3);
    writer.complete();
    expect(cache.size()).toEqual({ entries: 0, bytes: 0 });
    cache.enter(1);
    expect(cache.open('repos', full)).toBeUndefined();
  });

  it('an abandoned recording frees its values and may be recorded again', () => {
    const cache = createReadParentCache(manifest, plan('pulls', 'issues', 'issues'), resolveParentCacheLimits(undefined));
    cache.enter(0);
    const first = cache.open('repos', full);
    if (!first || !('record' in first)) throw new Error('expected a recording');
    first.record[0]!.writer.add('a/b', 3);
    first.record[0]!.writer.abandon();
    expect(cache.size()).toEqual({ entries: 0, bytes: 0 });
    cache.enter(1);
    expect(cache.open('repos', full)).toMatchObject({ record: [{ value: 'full_name' }] });
  });

  it("an incremental parent is shared only between reads from the same state: the child's saved parent_state", () => {
    const pulls = { partitions: { '"a/b"': { cursor: '2024-02-01' } }, cursor: '2024-02-01' };
    const incrementalPlan = [{ name: 'pulls', mode: 'incremental' as const }, { name: 'reviews', mode: 'incremental' as const }];
    const read = { incremental: true, value: 'number' };
    // The child completed up to where the parent is: the parent's own read feeds it, end state included.
    const same = createReadParentCache(manifest, incrementalPlan, resolveParentCacheLimits(undefined), new Map<string, Record<string, unknown>>([['pulls', pulls], ['reviews', { parent_state: { cursor: '2024-02-01', partitions: { '"a/b"': { cursor: '2024-02-01' } } } }]]));
    same.enter(0);
    const [tap] = same.taps('pulls', 'incremental');
    if (!tap) throw new Error('expected a tap');
    tap.writer.add(7, 1);
    const end = { partitions: { '"a/b"': { cursor: '2024-03-01' } }, cursor: '2024-03-01' };
    tap.writer.complete(end);
    same.enter(1);
    const progress = { start: pulls, end: undefined as Record<string, unknown> | undefined };
    expect(same.open('pulls', read, progress)).toEqual({ values: [7] });
    expect(progress.end).toEqual(end);
    // The child is behind (its last read failed): the parent's own read does not feed it.
    const behind = createReadParentCache(manifest, incrementalPlan, resolveParentCacheLimits(undefined), new Map<string, Record<string, unknown>>([['pulls', pulls], ['reviews', { cursor: '2024-01-01' }]]));
    behind.enter(0);
    expect(behind.taps('pulls', 'incremental')).toEqual([]);
  });
});
