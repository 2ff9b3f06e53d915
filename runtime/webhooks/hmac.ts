import { isUtf8 } from 'node:buffer';
import { createHmac } from 'node:crypto';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { compileTemplate } from '../expressions/index.js';
import { safeEqual } from './constant-time.js';
import { missingSecret } from './missing-secret.js';
import { checkTimestamp } from './timestamp.js';
import { fail, OK, type Verifier } from './types.js';

/**
 * HMAC of the raw body or of a `signed_content` template (Slack's `v0:{ts}:{body}`), with an optional
 * prefix, hex or base64 digest and a timestamp window. Any configured secret may match (rotation).
 */
export const verifyHmac: Verifier<'hmac'> = async ({ rule, rawBody, headers, secrets, now }) => {
  if (secrets.length === 0) return missingSecret(rule);
  const header = headers[rule.header.toLowerCase()];
  if (header === undefined || header === '') return fail('missing_header', `missing signature header ${rule.header}`);
  if (rule.timestamp) {
    const stale = await checkTimestamp(rule.timestamp, rawBody, headers, now);
    if (stale) return stale;
  }
  const prefix = rule.prefix ?? '';
  if (!header.startsWith(prefix)) return fail('mismatch', `signature header ${rule.header} does not start with "${prefix}"`);
  const provided = header.slice(prefix.length).trim();
  const encoding = rule.encoding ?? 'hex';
  const algorithm = rule.algorithm ?? 'sha256';
  const content = rule.signed_content
    ? Buffer.from(String(await compileTemplate(rule.signed_content).render({ body: rawBody.toString('utf8'), headers })), 'utf8')
    : rawBody;

  for (const secret of secrets) {
    if (usesGitHubScheme(rule, content)) {
      if (await octokitVerify(secret, content.toString('utf8'), header)) return OK;
      continue;
    }
    const digest = createHmac(algorithm, secret).update(content).digest(encoding);
    // Hex digests are case-insensitive; base64 is not.
    const candidate = encoding === 'hex' ? provided.toLowerCase() : provided;
    if (safeEqual(digest, candidate)) return OK;
  }
  return fail('mismatch', `signature in ${rule.header} does not match the body`);
};

/**
 * GitHub's plain scheme (`sha256=<hex>` over the raw body) goes through @octokit/webhooks-methods.
 * It takes the body as a string, so only bodies that survive a UTF-8 round trip byte for byte use it
 * (and it throws on an empty body).
 */
function usesGitHubScheme(rule: Parameters<Verifier<'hmac'>>[0]['rule'], content: Buffer): boolean {
  if (rule.signed_content || (rule.algorithm ?? 'sha256') !== 'sha256' || rule.prefix !== 'sha256=' || (rule.encoding ?? 'hex') !== 'hex') return false;
  if (content.length === 0) return false;
  return isUtf8(content);
}
