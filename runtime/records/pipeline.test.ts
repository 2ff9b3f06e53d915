import { describe, expect, it } from 'vitest';
import { compileExpression } from '../expressions/index.js';
import type { StreamNode } from '../manifest/schema.js';
import { compileFast, FALLBACK } from './fast-path.js';
import { createRecordPipeline } from './index.js';

const stream = (over: Partial<StreamNode>): StreamNode => ({ primary_key: 'id', request: { method: 'GET', path: '/x' }, records: '$', ...over }) as StreamNode;

describe('compileFast', () => {
  const cases: Array<{ name: string; source: string; input: unknown }> = [
    { name: 'object of paths and literals', source: '{ "id": id, "u": user.login, "n": 5, "s": "x", "b": true, "missing": nope.deeper, "nil": nil }', input: { id: 1, user: { login: 'a' }, nil: null } },
    { name: 'array values kept as they are', source: '{ "tags": tags, "empty": empty }', input: { tags: ['a'], empty: [] } },
    { name: 'binding paths', source: '{ "repo": $partition.repo, "id": id }', input: { id: 2 } },
    { name: 'root', source: '$', input: [{ a: 1 }] },
    { name: 'nested selector', source: 'data.items', input: { data: { items: [{ a: 1 }] } } },
    { name: 'string field is not an object', source: '{ "l": title.length }', input: { title: 'abc' } },
  ];
  for (const { name, source, input } of cases) {
    it(`agrees with JSONata: ${name}`, async () => {
      const bindings = { partition: { repo: 'o/r' } };
      const fast = compileFast(source);
      expect(fast).toBeDefined();
      expect(fast!(input, bindings)).toEqual(await compileExpression(source).evaluate(input, bindings));
    });
  }

  it('declines an array in the middle of a path (JSONata flattens there)', () => {
    expect(compileFast('{ "l": labels.name }')!({ labels: [{ name: 'bug' }] }, {})).toBe(FALLBACK);
  });

  it('does not compile predicates, functions or operators', () => {
    for (const source of ['items[0]', '$string(id)', 'a & b', 'a.$uppercase(b)', '$$']) expect(compileFast(source)).toBeUndefined();
  });
});

describe('createRecordPipeline', () => {
  it('selects, filters and maps with partition in scope; the fallback gives JSONata results', async () => {
    const pipeline = createRecordPipeline(stream({ records: 'items', filter: '$not($exists(pull_request))', map: '{ "id": id, "labels": labels.name, "repo": $partition.repo }' }), 'issues');
    const body = { items: [{ id: 1, labels: [{ name: 'bug' }, { name: 'ui' }] }, { id: 2, pull_request: {} }, { id: 3, labels: [] }] };
    const page = await pipeline.extractPage(body, { partition: { repo: 'o/r' } });
    expect(page.selected).toBe(3);
    expect(JSON.parse(JSON.stringify(page.records))).toEqual([{ id: 1, labels: ['bug', 'ui'], repo: 'o/r' }, { id: 3, repo: 'o/r' }]);
  });

  it('a single object body is one record; an empty body none', async () => {
    const pipeline = createRecordPipeline(stream({}));
    expect(await pipeline.extract({ id: 1 }, {})).toEqual([{ id: 1 }]);
    expect(await pipeline.extract(undefined, {})).toEqual([]);
  });

  it('keyOf handles composite and nested keys and reports a missing key', () => {
    const composite = createRecordPipeline(stream({ primary_key: ['repo.name', 'number'] }), 'pulls');
    expect(composite.keyOf({ repo: { name: 'r' }, number: 7 })).toBe('["r",7]');
    expect(createRecordPipeline(stream({})).keyOf({ id: 5 })).toBe('5');
    expect(() => composite.keyOf({ number: 7 })).toThrow(expect.objectContaining({ code: 'RECORD_PRIMARY_KEY', message: expect.stringContaining('repo.name') }));
  });

  it('stored() gives the key and the version: the cursor field as an instant, a number or a string; null without one', () => {
    const byDate = createRecordPipeline(stream({ cursor_field: 'updated_at' }), 'pulls');
    expect(byDate.stored({ id: 1, updated_at: '2025-06-01T00:00:00Z' })).toEqual({ key: '1', data: { id: 1, updated_at: '2025-06-01T00:00:00Z' }, version: Date.parse('2025-06-01T00:00:00Z') });
    expect(byDate.stored({ id: 1, updated_at: '2025-06-01T00:00:00.000Z' }).version).toBe(Date.parse('2025-06-01T00:00:00Z'));
    expect(byDate.stored({ id: 1 }).version).toBeNull();
    expect(createRecordPipeline(stream({ cursor_field: 'meta.seq' })).stored({ id: 2, meta: { seq: '41' } }).version).toBe(41);
    expect(createRecordPipeline(stream({ cursor_field: 'etag' })).stored({ id: 3, etag: 'W/abc' }).version).toBe('W/abc');
    expect(createRecordPipeline(stream({})).stored({ id: 4, updated_at: '2025-06-01T00:00:00Z' }).version).toBeNull();
  });

  it('a selected value that is not an object is MAPPING_FAILED suggesting a map', async () => {
    await expect(createRecordPipeline(stream({}), 'names').extract(['a', 'b'], {})).rejects.toMatchObject({ code: 'MAPPING_FAILED', hint: expect.stringContaining('map') });
    expect(await createRecordPipeline(stream({ map: '{ "value": $ }' }), 'names').extract(['a'], {})).toEqual([{ value: 'a' }]);
  });

  it('a failing map is MAPPING_FAILED naming the stream', async () => {
    const pipeline = createRecordPipeline(stream({ map: '$error("boom")' }), 'issues');
    await expect(pipeline.extract([{ id: 1 }], {})).rejects.toMatchObject({ code: 'MAPPING_FAILED', message: expect.stringContaining('issues') });
  });
});

describe('compileFast beyond plain paths', () => {
  const bindings = { partition: { repo: 'o/r' } };
  const agree = async (source: string, input: unknown) => {
    const fast = compileFast(source);
    expect(fast, source).toBeDefined();
    const value = await fast!(input, bindings);
    const expected = await compileExpression(source).evaluate(input, bindings);
    if (value === FALLBACK) return 'fallback';
    expect(JSON.parse(JSON.stringify(value ?? null)), `${source} on ${JSON.stringify(input)}`).toEqual(JSON.parse(JSON.stringify(expected ?? null)));
    return 'native';
  };

  it('[path] flattens like JSONata over many shapes', async () => {
    const inputs = [
      { labels: [{ name: 'bug' }, { name: 'ui' }] }, { labels: [{ name: 'bug' }] }, { labels: [] }, {}, { labels: { name: 'a' } },
      { labels: [{ name: ['x', 'y'] }, { name: 'z' }] }, { labels: [{ other: 1 }, { name: null }] }, { labels: [[{ name: 1 }], { name: 2 }] },
      { labels: 'text' }, { labels: [{ name: { deep: 1 } }] },
    ];
    for (const input of inputs) await agree('[labels.name]', input);
    for (const input of inputs) await agree('[labels]', input);
  });

  it('objects mixing native fields and JSONata fields give JSONata’s result, keys in order', async () => {
    const source = `{
      "id": id,
      "state": $lowercase(state),
      "labels": [labels.($type($) = 'string' ? $ : name)],
      "names": [labels.name],
      "issue": $number($split(issue_url, '/')[-1]),
      "note": "a, b: {c}",
      "repo": $partition.repo
    }`;
    expect(await agree(source, { id: 1, state: 'OPEN', labels: [{ name: 'bug' }, 'raw'], issue_url: 'https://x/issues/33' })).toBe('native');
    const fast = compileFast(source)!;
    expect(Object.keys((await fast({ id: 1, state: 'A', labels: [], issue_url: 'x/1' }, bindings)) as object)).toEqual(['id', 'state', 'labels', 'names', 'issue', 'note', 'repo']);
  });

  it('built-ins $exists, $not, $boolean, $lowercase, $uppercase agree with JSONata', async () => {
    const inputs = [{}, { x: [] }, { x: [0] }, { x: [0, 1] }, { x: {} }, { x: '' }, { x: null }, { x: 'Ab' }, { x: [[0], [0]] }, { x: 3 }, { x: { y: 1 } }];
    const sources = ['$not(x)', '$boolean(x)', '$exists(x)', '$not($exists(x.y))', '$lowercase(x)', '$uppercase(x)'];
    for (const source of sources) for (const input of inputs) await agree(source, input).catch(async (error: unknown) => {
      // A JSONata type error ($lowercase of a number) must stay an error: the native path declines.
      await expect(compileExpression(source).evaluate(input, bindings)).rejects.toBeDefined();
      expect(compileFast(source)!(input, bindings)).toBe(FALLBACK);
      void error;
    });
  });

  it('declines objects whose fields assign variables', () => {
    expect(compileFast('{ "a": ($x := 1; $x), "b": $x }')).toBeUndefined();
  });
});
