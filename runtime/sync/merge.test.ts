import { describe, expect, it } from 'vitest';
import { mergeBounded } from './merge.js';

async function* from<T>(items: T[]) { for (const item of items) yield item; }
const tick = () => new Promise((r) => setTimeout(r, 1));

describe('mergeBounded', () => {
  it('runs at most `concurrency` items at once and keeps each item’s outputs in order', async () => {
    let running = 0;
    let peak = 0;
    const out: string[] = [];
    for await (const value of mergeBounded(from(['a', 'b', 'c', 'd']), 2, async function* (item) {
      running++;
      peak = Math.max(peak, running);
      for (let i = 0; i < 3; i++) { await tick(); yield `${item}${i}`; }
      running--;
    })) out.push(value);
    expect(peak).toBe(2);
    expect(out).toHaveLength(12);
    for (const item of ['a', 'b', 'c', 'd']) expect(out.filter((v) => v.startsWith(item))).toEqual([`${item}0`, `${item}1`, `${item}2`]);
  });

  it('rethrows the first error after the outputs already produced', async () => {
    const out: number[] = [];
    await expect((async () => {
      for await (const value of mergeBounded(from([1, 2]), 1, async function* (item) {
        yield item;
        if (item === 2) throw new Error('boom');
      })) out.push(value);
    })()).rejects.toThrow('boom');
    expect(out).toEqual([1, 2]);
  });

  it('applies back-pressure: a producer does not run ahead of the consumer', async () => {
    let produced = 0;
    const iterator = mergeBounded(from([1]), 1, async function* () { for (let i = 0; i < 1000; i++) { produced++; yield i; } })[Symbol.asyncIterator]();
    await iterator.next();
    await tick();
    expect(produced).toBeLessThanOrEqual(3);
    await iterator.return?.(undefined);
  });
});
