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
  // A timestamp in a header is checked first (a missing one is a 400, whatever the signature). One
  // in the body only once the signature matched: reading it means parsing the body and evaluating an
  // expression over it, which bytes nobody has vouched for must not reach.
  if (rule.timestamp?.header) {
    const stale = await checkTimestamp(rule.timestamp, rawBody, headers, now);
    if (stale) return stale;
  }
  const prefix = rule.prefix ?? '';
  if (!header.startsWith(prefix)) return fail('mismatch', `signature header ${rule.header} does not start with "${prefix}"`);
  const provided = header.slice(prefix.length).trim();
  const encoding = rule.encoding ?? 'hex';
  const algorithm = rule.algorithm ?? 'sha256';
  const content = rule.signed_content ? await signedContent(rule.signed_content, rawBody, headers) : rawBody;

  let matched = false;
  for (const secret of secrets) {
    if (usesGitHubScheme(rule, content)) {
      matched = await octokitVerify(secret, content.toString('utf8'), header);
    } else {
      const digest = createHmac(algorithm, secret).update(content).digest(encoding);
      // Hex digests are case-insensitive; base64 is not.
      matched = safeEqual(digest, encoding === 'hex' ? provided.toLowerCase() : provided);
    }
    if (matched) break;
  }
  if (!matched) return fail('mismatch', `signature in ${rule.header} does not match the body`);
  if (rule.timestamp && !rule.timestamp.header) return (await checkTimestamp(rule.timestamp, rawBody, headers, now)) ?? OK;
  return OK;
};

/** Stands for the body while the template renders, when the body is not UTF-8 (see signedContent). */
const BODY_MARK = '\u0000gwi-body\u0000';

/**
 * The bytes a `signed_content` template says are signed. The template renders text; the body goes in
 * as text, which is exact for UTF-8. Other bytes would be replaced (U+FFFD), so two bodies differing
 * only there would share a signature: for those the body's own bytes are put where the template
 * placed it, when it places it once and unchanged (`v0:{{ headers.x }}:{{ body }}`).
 */
async function signedContent(template: string, rawBody: Buffer, headers: Readonly<Record<string, string>>): Promise<Buffer> {
  const render = async (body: string) => String(await compileTemplate(template).render({ body, headers }));
  if (isUtf8(rawBody)) return Buffer.from(await render(rawBody.toString('utf8')), 'utf8');
  const parts = (await render(BODY_MARK)).split(BODY_MARK);
  if (parts.length !== 2) return Buffer.from(await render(rawBody.toString('utf8')), 'utf8');
  return Buffer.concat([Buffer.from(parts[0]!, 'utf8'), rawBody, Buffer.from(parts[1]!, 'utf8')]);
}

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
