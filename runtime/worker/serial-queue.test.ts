import { describe, expect, it } from 'vitest';
import { createSerialQueue } from './serial-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('createSerialQueue', () => {
  it('runs tasks of one key one after the other, in order, and other keys alongside', async () => {
    const queue = createSerialQueue();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name}:start`);
      await tick();
      log.push(`${name}:end`);
      return name;
    };
    const results = await Promise.all([queue.run('a', task('a1')), queue.run('b', task('b1')), queue.run('a', task('a2'))]);
    expect(results).toEqual(['a1', 'b1', 'a2']);
    expect(log.indexOf('a1:end')).toBeLessThan(log.indexOf('a2:start'));
    expect(log.indexOf('b1:start')).toBeLessThan(log.indexOf('a1:end')); // b did not wait for a
    expect(queue.size()).toBe(0);
  });

  it('keeps going after a failed task, and hands the failure to its caller only', async () => {
    const queue = createSerialQueue();
    const failed = queue.run('a', async () => { throw new Error('boom'); });
    const next = queue.run('a', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});
