import { compileExpression } from '../expressions/index.js';
import type { Static } from '@sinclair/typebox';
import type { TimestampRule } from './schema.js';
import { fail, type VerifyResult } from './types.js';

type TimestampNode = Static<typeof TimestampRule>;

/**
 * Check a signed timestamp (header or body field) is within `tolerance_seconds` of `now`: replay
 * protection. Returns undefined when fine, or the failure.
 */
export async function checkTimestamp(rule: TimestampNode, rawBody: Buffer, headers: Readonly<Record<string, string>>, now: Date): Promise<VerifyResult | undefined> {
  let raw: unknown;
  if (rule.header) {
    raw = headers[rule.header.toLowerCase()];
    if (raw === undefined) return fail('missing_header', `missing timestamp header ${rule.header}`);
  } else if (rule.body) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return fail('malformed', 'the body is not JSON, so its timestamp cannot be read');
    }
    raw = await compileExpression(rule.body).evaluate(parsed);
    if (raw === undefined || raw === null) return fail('malformed', `the body has no timestamp at ${rule.body}`);
  } else {
    return fail('misconfigured', 'timestamp rule names neither `header` nor `body`');
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(value)) return fail('malformed', 'the timestamp is not a number');
  const ms = (rule.unit ?? 'seconds') === 'milliseconds' ? value : value * 1000;
  const tolerance = (rule.tolerance_seconds ?? 300) * 1000;
  if (Math.abs(now.getTime() - ms) > tolerance) {
    return fail('stale_timestamp', `timestamp is more than ${tolerance / 1000}s away from now (replayed or clock skew)`);
  }
  return undefined;
}
