import { normaliseHeaders } from './headers.js';
import { verifyHmac } from './hmac.js';
import { verifyNone } from './none.js';
import type { SignatureNode, SignatureType } from './schema.js';
import { verifyStandardWebhooks } from './standard-webhooks.js';
import { verifyToken } from './token.js';
import { fail, type RawHeaders, type Verifier, type VerifyResult } from './types.js';

/** One verifier per signature type: a new `type` in the schema without a verifier does not compile. */
const verifiers: { [K in SignatureType]: Verifier<K> } = {
  hmac: verifyHmac,
  standard_webhooks: verifyStandardWebhooks,
  token: verifyToken,
  none: verifyNone,
};

/**
 * Verify a delivery's exact bytes against a manifest signature rule. Never throws: every failure is a
 * result whose `reason` tells a bad request (`missing_header`, `malformed`), a forgery or replay
 * (`mismatch`, `stale_timestamp`) and our own configuration problem (`misconfigured`) apart.
 */
export async function verifySignature(rule: SignatureNode, rawBody: Buffer, headers: RawHeaders, secrets: readonly string[], now: Date = new Date()): Promise<VerifyResult> {
  const verifier = verifiers[rule.type] as Verifier<SignatureType>;
  try {
    return await verifier({ rule, rawBody, headers: normaliseHeaders(headers), secrets, now });
  } catch (error) {
    // A template that fails to render (e.g. signed_content over a missing header) is a manifest problem.
    return fail('misconfigured', `signature rule ${rule.type} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
