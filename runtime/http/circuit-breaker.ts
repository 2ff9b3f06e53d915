import CircuitBreaker from 'opossum';
import { Value } from '@sinclair/typebox/value';
import { CircuitOpenError } from './errors.js';
import { CircuitBreaker as CircuitBreakerSchema, type CircuitBreakerNode } from './schema.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** A circuit breaker shared by every requester of one connector connection. */
export interface Breaker {
  /**
   * Run one attempt. It counts as a failure when it throws or when `isFailure(result)` is true
   * (a 5xx answer); the result is still returned so the caller can decide what to do with it.
   * Throws CircuitOpenError without running `attempt` while the breaker is open.
   */
  run<T>(attempt: () => Promise<T>, isFailure: (result: T) => boolean): Promise<T>;
  /** Count one failure that happened outside `run` (retries of 429 ran out). */
  recordFailure(): Promise<void>;
  state(): BreakerState;
  /** Drop this user's reference; the breaker shuts down with its last user. */
  release(): void;
}

interface Entry {
  breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  openedAt: number;
  resetMs: number;
  users: number;
}

const registry = new Map<string, Entry>();

/** Wraps a result that opossum must count as a failure while the caller still gets it back. */
class CountedResult {
  constructor(readonly value: unknown) {}
}

export function getBreaker(node: CircuitBreakerNode | undefined, connectorName: string, connectionId: string): Breaker {
  const key = `${connectorName}/${connectionId}`;
  let entry = registry.get(key);
  if (!entry) {
    entry = createEntry(resolveBreaker(node));
    registry.set(key, entry);
  }
  entry.users++;
  const own = entry;
  let released = false;
  return {
    async run<T>(attempt: () => Promise<T>, isFailure: (result: T) => boolean): Promise<T> {
      try {
        return (await own.breaker.fire(async () => {
          const result = await attempt();
          if (isFailure(result)) throw new CountedResult(result);
          return result;
        })) as T;
      } catch (error) {
        if (error instanceof CountedResult) return error.value as T;
        if ((error as { code?: string }).code === 'EOPENBREAKER') throw openError(key, own);
        throw error;
      }
    },
    async recordFailure() {
      await own.breaker.fire(() => Promise.reject(new CountedResult(undefined))).catch(() => undefined);
    },
    state: () => stateOf(own.breaker),
    release() {
      if (released) return;
      released = true;
      own.users--;
      if (own.users === 0) {
        own.breaker.shutdown();
        registry.delete(key);
      }
    },
  };
}

function resolveBreaker(node: CircuitBreakerNode | undefined): CircuitBreakerNode {
  return Value.Default(CircuitBreakerSchema, structuredClone(node ?? {})) as CircuitBreakerNode;
}

function createEntry(config: CircuitBreakerNode): Entry {
  const breaker = new CircuitBreaker<[() => Promise<unknown>], unknown>((attempt) => attempt(), {
    // Timeouts are the requester's job (per attempt, retried); opossum's own timer would race it.
    timeout: false,
    errorThresholdPercentage: config.error_threshold_percentage,
    volumeThreshold: config.volume_threshold,
    rollingCountTimeout: config.rolling_window_ms,
    resetTimeout: config.reset_timeout_ms,
  });
  const entry: Entry = { breaker, openedAt: 0, resetMs: config.reset_timeout_ms, users: 0 };
  // Opossum's timers are real, so the probe time is measured on the real clock too.
  breaker.on('open', () => {
    entry.openedAt = Date.now();
  });
  return entry;
}

function stateOf(breaker: CircuitBreaker<[() => Promise<unknown>], unknown>): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'half_open';
  return 'closed';
}

function openError(key: string, entry: Entry): CircuitOpenError {
  const nextProbeInMs = Math.max(0, entry.openedAt + entry.resetMs - Date.now());
  const failures = entry.breaker.stats.failures;
  const seconds = Math.ceil(nextProbeInMs / 1000);
  return new CircuitOpenError(`${key}: circuit open after ${failures} failures; next probe in ${seconds}s`, nextProbeInMs, {
    hint: 'The API kept failing; requests fail fast until the probe succeeds.',
  });
}
