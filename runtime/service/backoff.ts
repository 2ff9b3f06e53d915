export interface BackoffOptions {
  /** First retry delay. Default 1 s. */
  baseMs?: number;
  /** Cap. Default 5 min. */
  maxMs?: number;
}

/**
 * Exponential backoff for delivery retries: base · 2^(attempt-1), capped, with ±20 % jitter so a
 * burst of failures does not retry in lock step. `random` is injectable for tests.
 */
export function retryDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 300_000;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
