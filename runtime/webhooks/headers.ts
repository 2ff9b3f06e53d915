import type { RawHeaders } from './types.js';

/**
 * Lower-case header names and keep the first value of a repeated header: signature headers are
 * single-valued, and a second copy must not be able to replace the first.
 */
export function normaliseHeaders(headers: RawHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name.toLowerCase()] = first;
  }
  return out;
}
