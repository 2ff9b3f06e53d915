import { describe, expect, it } from 'vitest';
import { createFailureLatch } from './failure-latch.js';

describe('createFailureLatch', () => {
  it('keeps a failure until a success or a check of its own clears it; one check at a time, at most every everyMs', async () => {
    let checks = 0;
    let pass = false;
    const latch = createFailureLatch<string>(async () => {
      checks++;
      if (!pass) throw new Error('still down');
    }, { everyMs: 0 });
    expect(latch.current()).toBeUndefined();
    expect(checks).toBe(0); // nothing to check
    latch.failed('disk full');
    expect(latch.current()).toBe('disk full');
    expect(latch.current()).toBe('disk full'); // the first check is still running: not a second
    await new Promise((r) => setImmediate(r));
    expect(checks).toBe(1);
    pass = true;
    expect(latch.current()).toBe('disk full');
    await new Promise((r) => setImmediate(r));
    expect(latch.current()).toBeUndefined();
    latch.failed('again');
    latch.succeeded();
    expect(latch.current()).toBeUndefined();
  });

  it('a failure recorded while a check runs is not cleared by it', async () => {
    let release!: () => void;
    const latch = createFailureLatch<string>(() => new Promise<void>((resolve) => (release = resolve)), { everyMs: 0 });
    latch.failed('first');
    latch.current(); // starts the check
    latch.failed('second');
    release();
    await new Promise((r) => setImmediate(r));
    expect(latch.current()).toBe('second');
  });
});
