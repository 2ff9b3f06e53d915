/**
 * A GitHub rate-limit budget (one per resource: `core` for REST, `graphql` in points): `limit` per
 * hour from the first use, reset at `reset` (epoch seconds) on the server's clock. Tests drive the
 * clock (an injected sleep advances it), so an hour-long wait for a reset takes no time.
 */
export interface Budget {
  readonly resource: 'core' | 'graphql';
  readonly limit: number;
  remaining: number;
  /** Epoch seconds. */
  reset: number;
}

export function createBudget(resource: Budget['resource'], limit: number, clock: () => number): Budget {
  return { resource, limit, remaining: limit, reset: Math.floor(clock() / 1000) + 3600 };
}

/** Start a new window once the reset time has passed. */
export function refresh(budget: Budget, clock: () => number): void {
  if (clock() >= budget.reset * 1000) {
    budget.remaining = budget.limit;
    budget.reset = Math.floor(clock() / 1000) + 3600;
  }
}

/** The x-ratelimit-* headers GitHub sends with every response. */
export function budgetHeaders(budget: Budget): Record<string, string> {
  return {
    'x-ratelimit-limit': String(budget.limit),
    'x-ratelimit-remaining': String(budget.remaining),
    'x-ratelimit-used': String(budget.limit - budget.remaining),
    'x-ratelimit-reset': String(budget.reset),
    'x-ratelimit-resource': budget.resource,
  };
}
