import type { RawHeaders } from './types.js';

const normalised = new WeakSet<object>();

/**
 * Lower-case header names and keep the first value of a repeated header: signature headers are
 * single-valued, and a second copy must not be able to replace the first.
 */
export function normaliseHeaders(headers: RawHeaders): Record<string, string> {
  // Ingest normalises once and hands the result to the verifier and the parser: no second pass.
  if (normalised.has(headers)) return headers as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name.toLowerCase()] = first;
  }
  normalised.add(out);
  return out;
}
