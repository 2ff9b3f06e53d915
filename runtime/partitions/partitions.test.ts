import { describe, expect, it } from 'vitest';
import { listStreamPartitions, type ParentReader, type ParentValueCache, type ParentValueWriter } from './index.js';

const collect = async <T>(it: AsyncIterable<T>) => { const out: T[] = []; for await (const x of it) out.push(x); return out; };
const noParent: ParentReader = () => { throw new Error('no parent'); };

describe('listStreamPartitions', () => {
  it('an unpartitioned stream has one empty partition', async () => {
    expect(await collect(listStreamPartitions(undefined, { scope: {}, readParent: noParent }))).toEqual([{}]);
  });
  it('list renders a config array, one partition per item', async () => {
    const parts = listStreamPartitions({ list: '{{ config.repos }}', as: 'repo' }, { scope: { config: { repos: ['a/b', 'c/d'] } }, readParent: noParent });
    expect(await collect(parts)).toEqual([{ repo: 'a/b' }, { repo: 'c/d' }]);
  });
  it('list rendering to nothing is a clear config error', async () => {
    await expect(collect(listStreamPartitions({ list: '{{ config.repos }}', as: 'repo' }, { scope: { config: {} }, readParent: noParent }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
  it('parent reduces records with value and drops duplicates', async () => {
    const readParent: ParentReader = async function* (name, { incremental }) {
      expect([name, incremental]).toEqual(['pulls', false]);
      yield { repo: 'a', number: 1, title: 'x' };
      yield { repo: 'a', number: 1, title: 'y' };
      yield { repo: 'a', number: 2, title: 'z' };
    };
    const parts = listStreamPartitions({ parent: 'pulls', as: 'pull', value: "{ 'repo': repo, 'number': number }", incremental_parent: false }, { scope: {}, readParent });
    expect(await collect(parts)).toEqual([{ pull: { repo: 'a', number: 1 } }, { pull: { repo: 'a', number: 2 } }]);
  });

  describe('parent with a parentCache', () => {
    const node = { parent: 'repos', as: 'repo', value: 'full_name', incremental_parent: false } as const;
    const repos: ParentReader = async function* () {
      yield { full_name: 'a/b', branch: 'main' };
      yield { full_name: 'c/d', branch: 'dev' };
    };
    const recorder = () => {
      const log: string[] = [];
      const writer = (name: string): ParentValueWriter => ({
        add: (value) => log.push(`${name} add ${JSON.stringify(value)}`),
        complete: () => log.push(`${name} complete`),
        abandon: () => log.push(`${name} abandon`),
      });
      return { log, writer };
    };

    it('replays cached values without reading the parent', async () => {
      const cache: ParentValueCache = { open: () => ({ values: ['x/y'] }) };
      const parts = listStreamPartitions(node, { scope: {}, readParent: noParent, parentCache: cache });
      expect(await collect(parts)).toEqual([{ repo: 'x/y' }]);
    });

    it('records its own values and the other values asked for, then completes them', async () => {
      const { log, writer } = recorder();
      const cache: ParentValueCache = { open: () => ({ record: [{ value: 'full_name', writer: writer('own') }, { value: 'branch', writer: writer('other') }] }) };
      const parts = listStreamPartitions(node, { scope: {}, readParent: repos, parentCache: cache });
      expect(await collect(parts)).toEqual([{ repo: 'a/b' }, { repo: 'c/d' }]);
      expect(log).toEqual(['other add "main"', 'own add "a/b"', 'other add "dev"', 'own add "c/d"', 'own complete', 'other complete']);
    });

    it('a read stopped early abandons its recordings', async () => {
      const { log, writer } = recorder();
      const cache: ParentValueCache = { open: () => ({ record: [{ value: 'full_name', writer: writer('own') }] }) };
      const iterator = listStreamPartitions(node, { scope: {}, readParent: repos, parentCache: cache })[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.return?.();
      expect(log).toEqual(['own add "a/b"', 'own abandon']);
    });
  });
});
