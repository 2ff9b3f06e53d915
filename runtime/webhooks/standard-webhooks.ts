import { Webhook } from 'standardwebhooks';
import { safeEqual } from './constant-time.js';
import { fail, OK, type Verifier } from './types.js';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-signature` holds space-separated
 * `v1,<base64>` entries over `{id}.{timestamp}.{body}`; keys are `whsec_<base64>`. The package's
 * `verify` reads the wall clock, so the timestamp is checked here against the injected `now` and the
 * package's `sign` computes the expected signature for each secret (rotation: any secret, any entry).
 */
export const verifyStandardWebhooks: Verifier<'standard_webhooks'> = async ({ rule, rawBody, headers, secrets, now }) => {
  if (secrets.length === 0) return fail('misconfigured', 'no webhook secret is configured for this connection');
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
  for (const secret of secrets) {
    let expected: string;
    try {
      expected = new Webhook(secret).sign(id!, new Date(seconds * 1000), rawBody).slice(3);
    } catch {
      return fail('misconfigured', 'the webhook secret is not a valid Standard Webhooks key (whsec_<base64>)');
    }
    if (provided.some((candidate) => safeEqual(candidate, expected))) return OK;
  }
  return fail('mismatch', 'no webhook-signature entry matches the body');
};
