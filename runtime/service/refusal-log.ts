import type { Logger } from '../sync/types.js';

/** Logs one refused webhook: its connection, why (the verifier's reason) and the message. */
export type RefusalLog = (connection: string, reason: string, message: string) => void;

/**
 * Refused webhooks as log lines, at most one per connection and reason per `windowMs`. Refusals
 * come from the public route, before any signature is known good: one line each let anyone fill the
 * disk (~185 bytes a request, ~25 GB a day from one client). The metrics count every one
 * (`gwi_webhook_deliveries_total`); the line after a quiet window says how many were not logged.
 * Keyed by connections that exist (ingest refuses unknown names before verifying), so it stays small.
 */
export function createRefusalLog(logger: Logger | undefined, now: () => number, windowMs = 60_000): RefusalLog {
  const last = new Map<string, { at: number; unlogged: number }>();
  return (connection, reason, message) => {
    if (!logger) return;
    const key = `${connection}\u0000${reason}`;
    const at = now();
    const entry = last.get(key);
    if (entry && at - entry.at < windowMs) {
      entry.unlogged++;
      return;
    }
    const unlogged = entry?.unlogged ?? 0;
    last.set(key, { at, unlogged: 0 });
    logger.warn(
      { connection, reason, ...(unlogged > 0 ? { unlogged } : {}) },
      `webhook refused: ${message}${unlogged > 0 ? ` (${unlogged} more refused for the same reason since the last line, not logged; the metrics count each)` : ''}`,
    );
  };
}
