import type { RateLimitNode } from '../../runtime/http/schema.js';
import type { Handler } from '../server/serve.js';
import type { VirtualClock } from './clock.js';

/** Requests allowed per simulated window: small, so that a short read meets several resets. */
export const SIMULATED_BUDGET = 5;
const WINDOW_MS = 60_000;

export interface BudgetLog {
  /** Requests that arrived while the API had reported its budget spent, before the reset. */
  violations: number;
  /** Windows that ran out (the client had to pause). */
  exhausted: number;
}

/**
 * Wraps a handler with an API-side budget announced in the manifest's `remaining_header` and
 * `reset_header` (in its `reset_format`), on the engine's virtual clock. A client that pauses as
 * the headers say never meets a 429; `slack` requests (already in flight when the budget ran out,
 * one per concurrent partition) are tolerated.
 */
export function withAnnouncedBudget(limit: RateLimitNode, clock: VirtualClock, slack: number, log: BudgetLog): (handler: Handler) => Handler {
  let used = 0;
  let resetAt = clock.now().getTime() + WINDOW_MS;
  const headersAt = (now: number): Record<string, string> => {
    const out: Record<string, string> = {};
    if (limit.remaining_header) out[limit.remaining_header.toLowerCase()] = String(Math.max(0, SIMULATED_BUDGET - used));
    if (limit.reset_header) out[limit.reset_header.toLowerCase()] = formatReset(limit.reset_format ?? 'epoch_seconds', resetAt, now);
    return out;
  };
  return (handler) => async (request, raw) => {
    const now = clock.now().getTime();
    if (now >= resetAt) {
      used = 0;
      resetAt = now + WINDOW_MS;
    }
    used++;
    if (used === SIMULATED_BUDGET) log.exhausted++;
    if (used > SIMULATED_BUDGET + slack) {
      log.violations++;
      return { status: 429, headers: { 'content-type': 'application/json', 'retry-after': String(Math.ceil((resetAt - now) / 1000)), ...headersAt(now) }, body: '{"message":"API rate limit exceeded (simulated)"}' };
    }
    const response = await handler(request, raw);
    if (response === 'handled') return response;
    return { ...response, headers: { ...response.headers, ...headersAt(now) } };
  };
}

function formatReset(format: NonNullable<RateLimitNode['reset_format']>, resetAt: number, now: number): string {
  switch (format) {
    case 'epoch_seconds':
      return String(Math.ceil(resetAt / 1000));
    case 'epoch_ms':
      return String(resetAt);
    case 'seconds':
      return String(Math.ceil((resetAt - now) / 1000));
    case 'http_date':
      return new Date(resetAt).toUTCString();
  }
}
