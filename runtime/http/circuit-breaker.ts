import CircuitBreaker from 'opossum';
import { Value } from '@sinclair/typebox/value';
import { CircuitOpenError } from './errors.js';
import { CircuitBreaker as CircuitBreakerSchema, type CircuitBreakerNode } from './schema.js';
import { TransportError } from './transport.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** A circuit breaker shared by every requester of one connector connection. */
export interface Breaker {
  /**
   * Run one attempt. It counts as a failure when it throws or when `isFailure(result)` is true or a
   * reason such as "HTTP 503"; the result is still returned so the caller can decide what to do with it.
   * Throws CircuitOpenError without running `attempt` while the breaker is open; that error names the
   * last failure and the origin of `url` (scheme://host:port: never a path, query or credentials).
   */
  run<T>(attempt: () => Promise<T>, isFailure: (result: T) => boolean | string, url?: string): Promise<T>;
  /** Count one failure that happened outside `run` (retries of 429 ran out). */
  recordFailure(reason?: string, url?: string): Promise<void>;
  state(): BreakerState;
  /** Drop this user's reference; the breaker shuts down with its last user. */
  release(): void;
}

/** What the open-circuit error tells: the last failure, where it went, and whether it was the network. */
interface LastFailure {
  reason: string;
  origin: string | undefined;
  transport: TransportError['kind'] | undefined;
}

interface Entry {
  breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  openedAt: number;
  resetMs: number;
  users: number;
  lastFailure?: LastFailure;
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
    async run<T>(attempt: () => Promise<T>, isFailure: (result: T) => boolean | string, url?: string): Promise<T> {
      try {
        return (await own.breaker.fire(async () => {
          let result: T;
          try {
            result = await attempt();
          } catch (error) {
            own.lastFailure = thrownFailure(error, url);
            throw error;
          }
          const failed = isFailure(result);
          if (failed === false) return result;
          own.lastFailure = { reason: failed === true ? 'a failed answer' : failed, origin: originOf(url), transport: undefined };
          throw new CountedResult(result);
        })) as T;
      } catch (error) {
        if (error instanceof CountedResult) return error.value as T;
        if ((error as { code?: string }).code === 'EOPENBREAKER') throw openError(key, own);
        throw error;
      }
    },
    async recordFailure(reason?: string, url?: string) {
      own.lastFailure = { reason: reason ?? 'a failed request', origin: originOf(url), transport: undefined };
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

/** scheme://host:port of a URL: what the operator checks, with no path, query or userinfo to leak. */
function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** A thrown attempt: transport errors carry the network reason (ECONNREFUSED...); anything else only its kind. */
function thrownFailure(error: unknown, url: string | undefined): LastFailure {
  if (error instanceof TransportError) return { reason: error.message, origin: originOf(url), transport: error.kind };
  return { reason: error instanceof Error ? error.name : 'an error', origin: originOf(url), transport: undefined };
}

const HINTS: Record<TransportError['kind'] | 'answer', (origin: string) => string> = {
  network: (origin) => `${origin} could not be reached: check the URL base (e.g. the config's base_url) and the network (DNS, firewall, proxy).`,
  timeout: (origin) => `${origin} did not answer in time: check the URL base (e.g. the config's base_url) and the network, or raise requester.timeout_ms.`,
  answer: (origin) => `The API at ${origin} kept failing: wait for it to recover.`,
};

function openError(key: string, entry: Entry): CircuitOpenError {
  const nextProbeInMs = Math.max(0, entry.openedAt + entry.resetMs - Date.now());
  const failures = entry.breaker.stats.failures;
  const seconds = Math.ceil(nextProbeInMs / 1000);
  const last = entry.lastFailure;
  const origin = last?.origin ?? 'the API';
  const lastText = last ? `; last failure: ${last.reason}${last.origin ? ` from ${last.origin}` : ''}` : '';
  return new CircuitOpenError(`${key}: circuit open after ${failures} failures${lastText}; next probe in ${seconds}s`, nextProbeInMs, {
    hint: `${HINTS[last?.transport ?? 'answer'](origin)} Requests fail fast until the probe succeeds.`,
    context: { ...(last?.origin ? { origin: last.origin } : {}) },
  });
}
