import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, type SchedulerLogger } from './index.js';

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; obj: object }> = [];
  const logger: SchedulerLogger = {
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => lines.push({ level: 'error', msg, obj }),
  };
  return { logger, lines };
}

/** A run whose completion the test controls. */
function controllableRuns() {
  const calls: string[] = [];
  const pending: Array<() => void> = [];
  const run = (id: string) => {
    calls.push(id);
    return new Promise<void>((resolve) => pending.push(resolve));
  };
  const finishAll = () => pending.splice(0).forEach((resolve) => resolve());
  return { run, calls, finishAll };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createScheduler', () => {
  it('runs an interval schedule once per period', async () => {
    const calls: string[] = [];
    const scheduler = createScheduler({ run: async (id) => void calls.push(id) });
    scheduler.schedule('a', 'every 30s');
    await vi.advanceTimersByTimeAsync(29_999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual(['a', 'a', 'a']);
    await scheduler.stop();
  });

  it('runs a cron schedule at its matching minutes', async () => {
    const calls: string[] = [];
    const scheduler = createScheduler({ run: async (id) => void calls.push(id), timezone: 'UTC' });
    scheduler.schedule('c', '*/15 * * * *');
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(calls).toHaveLength(4);
    await scheduler.stop();
  });

  it('never runs a connection twice at once: a tick during a run is skipped and logged', async () => {
    const { run, calls, finishAll } = controllableRuns();
    const { logger, lines } = recordingLogger();
    const scheduler = createScheduler({ run, logger });
    scheduler.schedule('slow', 'every 1s');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual(['slow']);
    await vi.advanceTimersByTimeAsync(3_000); // three ticks while the first run is still going
    expect(calls).toEqual(['slow']);
    expect(lines.filter((l) => l.level === 'warn' && /skipped/.test(l.msg))).toHaveLength(3);
    expect(scheduler.trigger('slow')).toBe(false);
    finishAll();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual(['slow', 'slow']);
    finishAll();
    await scheduler.stop();
  });

  it('keeps connections independent and lets trigger() run one now', async () => {
    const { run, calls, finishAll } = controllableRuns();
    const scheduler = createScheduler({ run });
    scheduler.schedule('a', 'every 1m');
    scheduler.schedule('b', 'every 1m');
    expect(scheduler.trigger('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.isRunning('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.sort()).toEqual(['a', 'b']); // a's tick skipped, b ran
    finishAll();
    await scheduler.stop();
  });

  it('logs a failed run and keeps the schedule going', async () => {
    const { logger, lines } = recordingLogger();
    let count = 0;
    const scheduler = createScheduler({
      logger,
      run: async () => {
        count += 1;
        throw new Error('boom');
      },
    });
    scheduler.schedule('x', 'every 1s');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(count).toBe(3);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(3);
    await scheduler.stop();
  });

  it('unschedule() and re-schedule() replace the timer; stop() waits for runs in progress', async () => {
    const { run, calls, finishAll } = controllableRuns();
    const scheduler = createScheduler({ run });
    scheduler.schedule('a', 'every 1s');
    scheduler.schedule('a', 'every 10s'); // replaces, not adds
    await vi.advanceTimersByTimeAsync(9_000);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual(['a']);
    expect(scheduler.list()).toEqual([expect.objectContaining({ connectionId: 'a', schedule: 'every 10s', running: true })]);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finishAll();
    await stopping;
    expect(stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual(['a']);
    expect(scheduler.trigger('a')).toBe(false);
  });

  it('stop() waits for a run that never ends only up to stopTimeoutMs, then logs and returns', async () => {
    const { logger, lines } = recordingLogger();
    const runs = controllableRuns(); // never finished by this test
    const scheduler = createScheduler({ run: runs.run, logger, stopTimeoutMs: 5_000 });
    scheduler.trigger('stuck');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.calls).toEqual(['stuck']);
    let stopped = false;
    void scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'scheduler stopped with syncs still running' }));
  });

  it('unschedule() stops future runs', async () => {
    const calls: string[] = [];
    const scheduler = createScheduler({ run: async (id) => void calls.push(id) });
    scheduler.schedule('a', 'every 1s');
    await vi.advanceTimersByTimeAsync(2_000);
    scheduler.unschedule('a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(2);
    expect(scheduler.list()).toEqual([]);
    await scheduler.stop();
  });

  it('schedule() throws SCHEDULE_INVALID and leaves the previous schedule in place', async () => {
    const calls: string[] = [];
    const scheduler = createScheduler({ run: async (id) => void calls.push(id) });
    scheduler.schedule('a', 'every 1s');
    expect(() => scheduler.schedule('a', 'every now and then')).toThrow(/SCHEDULE|not valid/);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual(['a']);
    await scheduler.stop();
  });
});
