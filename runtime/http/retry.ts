import { Value } from '@sinclair/typebox/value';
import { Retry, type RetryNode } from './schema.js';

/** The retry policy with every default filled in from the schema (defaults live only there). */
export type RetryPolicy = Required<RetryNode>;

export function resolveRetryPolicy(node: RetryNode | undefined): RetryPolicy {
  return Value.Default(Retry, structuredClone(node ?? {})) as RetryPolicy;
}

/**
 * Delay before retry number `retry` (0 for the first retry): exponential or constant, capped at
 * `max_ms`; with full jitter a uniform random delay in [0, delay] so many clients spread out.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number): number {
  const raw = policy.backoff === 'constant' ? policy.base_ms : policy.base_ms * 2 ** retry;
  const capped = Math.min(raw, policy.max_ms);
  return policy.jitter === 'full' ? Math.floor(random() * capped) : capped;
}

/** `Retry-After`: delta seconds or an HTTP date. Returns milliseconds from `now`, or undefined. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.max(0, Math.round(Number(text) * 1000));
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * An instant written as epoch seconds, epoch milliseconds or a date string (`wait_until`, reset
 * headers). Returns milliseconds from `now`, or undefined when it cannot be read.
 */
export function untilInstant(value: unknown, now: number): number | undefined {
  const epoch = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : undefined;
  if (epoch !== undefined) {
    // Below 1e12 it is seconds (1e12 ms is 2001; 1e12 s is far in the future).
    const ms = epoch < 1e12 ? epoch * 1000 : epoch;
    return Math.max(0, Math.round(ms - now));
  }
  if (typeof value !== 'string') return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Seconds (`wait_seconds`) as milliseconds, or undefined. */
export function secondsToMs(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : undefined;
}
