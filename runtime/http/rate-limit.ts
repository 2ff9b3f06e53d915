import pThrottle from 'p-throttle';
import { Value } from '@sinclair/typebox/value';
import { parseRetryAfter } from './retry.js';
import { RateLimit, type RateLimitNode } from './schema.js';

const WINDOW_MS: Record<RateLimitNode['per'], number> = { second: 1000, minute: 60_000, hour: 3_600_000 };

/**
 * One shared budget: a throttle for the declared `requests per window`, and the instant until which
 * requests pause because the API said its budget is (nearly) spent.
 */
export interface RateBudget {
  readonly key: string;
  /** Resolves when the declared budget allows one more request. */
  acquire(): Promise<void>;
  /** Epoch ms before which no request should start (proactive pause); 0 when none. */
  pausedUntil: number;
  remaining: number | undefined;
}

/**
 * Budgets live in a module-level registry so that concurrent partitions and several connector
 * instances of the same connector (scope `connector`) or connection (scope `connection`) share one.
 */
const registry = new Map<string, RateBudget>();

/** Fill in the schema defaults (a node built in code may lack them; the loader already applies them). */
export function resolveRateLimit(node: RateLimitNode): RateLimitNode {
  return Value.Default(RateLimit, structuredClone(node)) as RateLimitNode;
}

export function rateBudgetKey(node: RateLimitNode, connectorName: string, connectionId: string): string {
  return node.scope === 'connector' ? connectorName : `${connectorName}/${connectionId}`;
}

/** The shared budget for this connector/connection; created on first use (the first declaration wins). */
export function getRateBudget(node: RateLimitNode, connectorName: string, connectionId: string): RateBudget {
  const resolved = resolveRateLimit(node);
  const key = rateBudgetKey(resolved, connectorName, connectionId);
  let budget = registry.get(key);
  if (!budget) {
    // strict: every sliding window holds at most `requests` calls, not just aligned windows.
    const gate = pThrottle({ limit: resolved.requests, interval: WINDOW_MS[resolved.per], strict: true })(() => undefined);
    budget = { key, acquire: async () => { await gate(); }, pausedUntil: 0, remaining: undefined };
    registry.set(key, budget);
  }
  return budget;
}

/** Forget every budget (tests, or a service reloading manifests). */
export function clearRateBudgets(): void {
  registry.clear();
}

/**
 * Read the declared remaining/reset headers of a response. When fewer than `pause_below` requests
 * remain, the budget pauses until the reset instant, before the API has to answer 429.
 * `resolved` has its defaults applied (see resolveRateLimit).
 */
export function observeRateHeaders(budget: RateBudget, resolved: RateLimitNode, headers: Readonly<Record<string, string>>, now: number): void {
  if (!resolved.remaining_header) return;
  const raw = headers[resolved.remaining_header.toLowerCase()];
  if (raw === undefined) return;
  const remaining = Number(raw);
  if (!Number.isFinite(remaining)) return;
  budget.remaining = remaining;
  if (remaining >= resolved.pause_below || !resolved.reset_header) return;
  const waitMs = resetWaitMs(headers[resolved.reset_header.toLowerCase()], resolved.reset_format, now);
  if (waitMs !== undefined) budget.pausedUntil = Math.max(budget.pausedUntil, now + waitMs);
}

/** Milliseconds from `now` until the reset the header announces. */
export function resetWaitMs(value: string | undefined, format: RateLimitNode['reset_format'], now: number): number | undefined {
  if (value === undefined) return undefined;
  switch (format) {
    case 'seconds':
      return parseRetryAfter(value, now);
    case 'http_date': {
      const date = Date.parse(value);
      return Number.isNaN(date) ? undefined : Math.max(0, date - now);
    }
    case 'epoch_ms': {
      const ms = Number(value);
      return Number.isFinite(ms) ? Math.max(0, ms - now) : undefined;
    }
    case 'epoch_seconds': {
      const seconds = Number(value);
      return Number.isFinite(seconds) ? Math.max(0, seconds * 1000 - now) : undefined;
    }
  }
}
