import { safeEqual } from './constant-time.js';
import { missingSecret } from './missing-secret.js';
import { fail, OK, type Verifier } from './types.js';

/** A shared secret sent in plain text in a header (GitLab's legacy `X-Gitlab-Token`), compared in constant time. */
export const verifyToken: Verifier<'token'> = async ({ rule, headers, secrets }) => {
  if (secrets.length === 0) return missingSecret(rule);
  const provided = headers[rule.header.toLowerCase()];
  if (provided === undefined || provided === '') return fail('missing_header', `missing token header ${rule.header}`);
  // Compare against every secret (no early exit) so timing does not tell which secret is current.
  let matched = false;
  for (const secret of secrets) matched = safeEqual(provided, secret) || matched;
  return matched ? OK : fail('mismatch', `token in ${rule.header} does not match`);
};
