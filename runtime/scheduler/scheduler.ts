import { parseSchedule, type Schedule } from './parse-schedule.js';
import { finishedWithin } from './finished-within.js';

/** The pino-compatible subset the scheduler logs through. */
export interface SchedulerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SchedulerOptions {
  /** Runs one sync of a connection. Rejections are logged; the schedule continues. */
  run(connectionId: string): Promise<void>;
  /** Clock, injectable for tests. Default `Date.now`. */
  now?: () => number;
  logger?: SchedulerLogger;
  /** Time zone for cron expressions; default the server's. */
  timezone?: string;
  /**
   * How long `stop()` waits for runs in progress (default 10 s): shutdown must not hang on a sync
   * that does not end. The runs are not cancelled here; whoever runs them (the sync runner) aborts them.
   */
  stopTimeoutMs?: number;
}

export interface Scheduler {
  /** Schedules (or re-schedules) a connection; throws `SCHEDULE_INVALID` for a bad expression. */
  schedule(connectionId: string, expr: string): void;
  unschedule(connectionId: string): void;
  /**
   * Runs a connection now (e.g. `POST /api/connections/:id/sync`) unless it is already running, in
   * which case it returns false: a connection never syncs twice at once, whoever asks.
   */
  trigger(connectionId: string): boolean;
  isRunning(connectionId: string): boolean;
  /** Ids with a schedule and their next planned run. */
  list(): Array<{ connectionId: string; schedule: string; nextRunAt: Date | null; running: boolean }>;
  /** Cancels every timer and waits for runs in progress to finish, at most `stopTimeoutMs`. */
  stop(): Promise<void>;
}

// setTimeout overflows above 2^31-1 ms (~24.8 days): longer waits re-arm in steps.
const MAX_TIMER_MS = 2_147_483_647;

interface Entry {
  schedule: Schedule;
  timer: NodeJS.Timeout | undefined;
  nextRunAt: Date | null;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const now = options.now ?? (() => Date.now());
  const log = options.logger;
  const entries = new Map<string, Entry>();
  const running = new Map<string, Promise<void>>();
  let stopped = false;

  function arm(connectionId: string, entry: Entry): void {
    const next = entry.schedule.next(new Date(now()));
    // An invalid date (a run time beyond what a Date holds) is no run either: armed, its NaN delay
    // would fire at once, again and again.
    const at = next !== null && Number.isFinite(next.getTime()) ? next : null;
    entry.nextRunAt = at;
    if (at === null) {
      log?.info({ connectionId, schedule: entry.schedule.source }, 'schedule has no further runs');
      return;
    }
    wait(connectionId, entry, at.getTime());
  }

  function wait(connectionId: string, entry: Entry, atMs: number): void {
    const delay = Math.max(0, atMs - now());
    entry.timer = setTimeout(() => {
      if (entries.get(connectionId) !== entry || stopped) return;
      if (atMs - now() > 0) return wait(connectionId, entry, atMs); // long wait re-armed in steps
      tick(connectionId);
      arm(connectionId, entry);
    }, Math.min(delay, MAX_TIMER_MS));
    entry.timer.unref?.();
  }

  function tick(connectionId: string): void {
    if (!start(connectionId)) {
      log?.warn({ connectionId }, 'scheduled sync skipped: the previous run of this connection is still in progress');
    }
  }

  function start(connectionId: string): boolean {
    if (stopped || running.has(connectionId)) return false;
    const done = Promise.resolve()
      .then(() => options.run(connectionId))
      .catch((error: unknown) => {
        log?.error({ connectionId, err: error }, 'sync run failed');
      })
      .finally(() => running.delete(connectionId));
    running.set(connectionId, done);
    return true;
  }

  function unschedule(connectionId: string): void {
    const entry = entries.get(connectionId);
    if (entry?.timer) clearTimeout(entry.timer);
    entries.delete(connectionId);
  }

  return {
    schedule(connectionId, expr) {
      const schedule = parseSchedule(expr, options.timezone === undefined ? {} : { timezone: options.timezone });
      unschedule(connectionId);
      if (stopped) return;
      const entry: Entry = { schedule, timer: undefined, nextRunAt: null };
      entries.set(connectionId, entry);
      arm(connectionId, entry);
    },
    unschedule,
    trigger: start,
    isRunning: (connectionId) => running.has(connectionId),
    list() {
      return [...entries].map(([connectionId, e]) => ({
        connectionId,
        schedule: e.schedule.source,
        nextRunAt: e.nextRunAt,
        running: running.has(connectionId),
      }));
    },
    async stop() {
      stopped = true;
      for (const id of [...entries.keys()]) unschedule(id);
      if (running.size === 0) return;
      const waitMs = options.stopTimeoutMs ?? 10_000;
      if (!(await finishedWithin(Promise.all(running.values()), waitMs))) log?.warn({ connections: [...running.keys()], waitedMs: waitMs }, 'scheduler stopped with syncs still running');
    },
  };
}
