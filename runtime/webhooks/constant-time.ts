import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality that never throws: `timingSafeEqual` throws on a length mismatch, so the
 * lengths are compared first (the length of a signature is not a secret).
 */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}
