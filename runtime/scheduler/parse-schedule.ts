import { Cron } from 'croner';
import { ConnectorError } from '../errors/index.js';

/** A parsed `schedule:` value: when is the next run after a given instant. */
export interface Schedule {
  readonly kind: 'interval' | 'cron';
  /** The expression as written, for logs and the admin API. */
  readonly source: string;
  /** The next run strictly after `after`, or null when a cron pattern never fires again. */
  next(after: Date): Date | null;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;
const INTERVAL = /^every\s+(\d+)\s*([smhd])$/i;
/** The longest interval: beyond a few years a schedule is a typo, and far enough out a run time no longer fits a Date. */
const MAX_INTERVAL_DAYS = 3_650;

/**
 * Parses a connection's `schedule:`: an interval `every 30s|5m|1h|1d` or a cron expression
 * (5 fields, or 6 with seconds first; nicknames such as `@hourly`), evaluated in the server's time zone
 * unless `timezone` is given (e.g. "UTC", "Europe/Paris").
 */
export function parseSchedule(expr: string, options: { timezone?: string } = {}): Schedule {
  const source = expr.trim();
  if (source === '') throw invalid(expr, 'it is empty');
  const interval = INTERVAL.exec(source);
  if (interval) return intervalSchedule(source, Number(interval[1]), interval[2]!.toLowerCase() as Unit);
  if (/^every\b/i.test(source)) throw invalid(expr, 'an interval is "every <n><unit>" with unit s, m, h or d, e.g. "every 5m"');
  return cronSchedule(source, options.timezone);
}

function intervalSchedule(source: string, count: number, unit: Unit): Schedule {
  if (!Number.isSafeInteger(count) || count < 1) throw invalid(source, 'the interval must be a positive whole number');
  const ms = count * UNIT_MS[unit];
  if (ms > MAX_INTERVAL_DAYS * UNIT_MS.d) throw invalid(source, `the interval must be at most ${MAX_INTERVAL_DAYS} days`);
  return { kind: 'interval', source, next: (after) => new Date(after.getTime() + ms) };
}

function cronSchedule(source: string, timezone: string | undefined): Schedule {
  // croner would read a 7th field as a year; the documented forms are 5 fields, or 6 with seconds first.
  const fields = source.split(/\s+/).length;
  if (fields > 6) throw invalid(source, `it has ${fields} fields; a cron expression has 5 (minute hour day month weekday), or 6 with seconds first`);
  let cron: Cron;
  try {
    // No callback: croner only computes run times and starts no timer of its own.
    cron = new Cron(source, timezone === undefined ? {} : { timezone });
  } catch (cause) {
    throw invalid(source, `it is not a valid cron expression (${cause instanceof Error ? cause.message : String(cause)})`, cause);
  }
  // A pattern such as "0 0 30 2 *" (February 30th) is valid cron that never fires: a connection
  // scheduled by it would never sync, silently.
  if (cron.nextRun() === null) throw invalid(source, 'it never fires (no date matches it from now on)');
  return { kind: 'cron', source, next: (after) => cron.nextRun(after) };
}

function invalid(expr: string, why: string, cause?: unknown): ConnectorError {
  return new ConnectorError('SCHEDULE_INVALID', `Schedule "${expr}" is not valid: ${why}.`, {
    hint: 'Use "every 30s", "every 5m", "every 1h", "every 1d" or a cron expression such as "*/15 * * * *".',
    cause,
  });
}
