import { Webhook } from 'standardwebhooks';
import { safeEqual } from './constant-time.js';
import { missingSecret } from './missing-secret.js';
import { fail, OK, type Verifier } from './types.js';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-signature` holds space-separated
 * `v1,<base64>` entries over `{id}.{timestamp}.{body}`; keys are `whsec_<base64>`. The package's
 * `verify` reads the wall clock, so the timestamp is checked here against the injected `now` and the
 * package's `sign` computes the expected signature for each secret (rotation: any secret, any entry).
 */
export const verifyStandardWebhooks: Verifier<'standard_webhooks'> = async ({ rule, rawBody, headers, secrets, now }) => {
  if (secrets.length === 0) return missingSecret(rule);
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  for (const [name, value] of [['webhook-id', id], ['webhook-timestamp', timestamp], ['webhook-signature', signature]] as const) {
    if (value === undefined || value === '') return fail('missing_header', `missing header ${name}`);
  }
  if (!/^\d+$/.test(timestamp!)) return fail('malformed', 'webhook-timestamp is not an integer');
  const seconds = Number(timestamp);
  const tolerance = rule.tolerance_seconds ?? 300;
  if (Math.abs(now.getTime() / 1000 - seconds) > tolerance) {
    return fail('stale_timestamp', `webhook-timestamp is more than ${tolerance}s away from now (replayed or clock skew)`);
  }
  const provided = signature!.split(' ').filter((entry) => entry.startsWith('v1,')).map((entry) => entry.slice(3));
  if (provided.length === 0) return fail('mismatch', 'webhook-signature has no v1 signature');
  // An invalid key (not whsec_<base64>) is skipped so that one bad entry does not break rotation;
  // only when no key is usable is it our configuration problem. Keys are named by position, never shown.
  const keys: Webhook[] = [];
  const invalid: number[] = [];
  secrets.forEach((secret, index) => {
    try {
      keys.push(new Webhook(secret));
    } catch {
      invalid.push(index + 1);
    }
  });
  if (keys.length === 0) return fail('misconfigured', describeInvalid(invalid, secrets.length));
  const skipped = invalid.length === 0 ? '' : `; skipped: ${describeInvalid(invalid, secrets.length)}`;
  for (const key of keys) {
    const expected = key.sign(id!, new Date(seconds * 1000), rawBody).slice(3);
    if (provided.some((candidate) => safeEqual(candidate, expected))) return OK;
  }
  return fail('mismatch', `no webhook-signature entry matches the body${skipped}`);
};

/** Names invalid keys by position only (never by value): "webhook secret 2 of 3 is not a valid ...". */
function describeInvalid(positions: readonly number[], total: number): string {
  const which = positions.length === 1 ? `webhook secret ${positions[0]} of ${total} is not a valid key` : `webhook secrets ${positions.join(', ')} of ${total} are not valid keys`;
  return `${which} for Standard Webhooks (whsec_<base64>)`;
}
