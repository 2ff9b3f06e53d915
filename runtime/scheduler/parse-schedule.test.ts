import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { parseSchedule } from './index.js';

const at = new Date('2026-01-01T10:07:30.000Z');

describe('parseSchedule', () => {
  const intervals = {
    'every 30s': 30_000,
    'every 5m': 300_000,
    'every 1h': 3_600_000,
    'every 1d': 86_400_000,
    ' EVERY 2 M ': 120_000,
  };
  for (const [expr, ms] of Object.entries(intervals)) {
    it(`parseSchedule(${JSON.stringify(expr)}) is an interval of ${ms} ms`, () => {
      const schedule = parseSchedule(expr);
      expect(schedule.kind).toBe('interval');
      expect(schedule.next(at)!.getTime() - at.getTime()).toBe(ms);
    });
  }

  it('parseSchedule("*/15 * * * *") fires at the next quarter hour', () => {
    const schedule = parseSchedule('*/15 * * * *', { timezone: 'UTC' });
    expect(schedule.kind).toBe('cron');
    expect(schedule.next(at)?.toISOString()).toBe('2026-01-01T10:15:00.000Z');
  });

  it('accepts intervals up to ten years', () => {
    expect(parseSchedule('every 3650d').next(at)?.getTime()).toBe(at.getTime() + 3650 * 86_400_000);
  });

  it('accepts 6-field cron (seconds first) and nicknames', () => {
    expect(parseSchedule('*/10 * * * * *', { timezone: 'UTC' }).next(at)?.toISOString()).toBe('2026-01-01T10:07:40.000Z');
    expect(parseSchedule('@hourly', { timezone: 'UTC' }).next(at)?.toISOString()).toBe('2026-01-01T11:00:00.000Z');
  });

  const bad = {
    empty: '',
    'zero interval': 'every 0m',
    'unknown unit': 'every 5w',
    'interval without unit': 'every 5',
    'cron out of range': '61 * * * *',
    'too few cron fields': '* *',
    'seven cron fields (a year)': '* * * * * * *',
    'a cron pattern that never fires': '0 0 30 2 *',
    'an interval beyond ten years': 'every 3651d',
    'an interval beyond what a date holds': 'every 9007199254740991s',
    words: 'sometimes',
  };
  for (const [name, expr] of Object.entries(bad)) {
    it(`rejects ${name} (${JSON.stringify(expr)}) with SCHEDULE_INVALID`, () => {
      let caught: unknown;
      try {
        parseSchedule(expr);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConnectorError);
      expect((caught as ConnectorError).code).toBe('SCHEDULE_INVALID');
      expect((caught as ConnectorError).message).toContain(`"${expr}"`);
    });
  }
});
