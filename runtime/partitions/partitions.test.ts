import { describe, expect, it } from 'vitest';
import { listStreamPartitions, type ParentReader } from './index.js';

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
});
