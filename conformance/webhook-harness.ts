import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { compileTemplate } from '../runtime/expressions/index.js';
import type { SignatureNode } from '../runtime/webhooks/schema.js';
import { DIGEST_PLACEHOLDER } from './cassettes/format.js';
import { setPath, simplePathOf } from './simulated/ast.js';

export interface SignOptions {
  /** The signing time (default now): timestamps in headers or the body. */
  now?: Date;
  /** Headers of the sample; a `<hmac-sha256-hex>` placeholder in one of them receives the digest. */
  headers?: Record<string, string>;
  /** Delivery id for Standard Webhooks (`webhook-id`). */
  id?: string;
}

export interface SignedDelivery {
  /** The exact bytes to send. */
  body: Buffer;
  /** Lower-case header names. */
  headers: Record<string, string>;
}

/**
 * Sign a payload as the provider would, per a manifest's signature rule and a test secret. When
 * the sample's signature header carries a digest placeholder (e.g. `sha256=<hmac-sha256-hex>`), the
 * digest goes there and the provider's own prefix is kept: a manifest whose `prefix` differs from
 * what the provider sends is then caught by verification.
 */
export async function signDelivery(rule: SignatureNode, payload: unknown, secret: string, options: SignOptions = {}): Promise<SignedDelivery> {
  const now = options.now ?? new Date();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
  let value = structuredClone(payload);
  if (rule.type === 'hmac' && rule.timestamp) {
    const stamp = rule.timestamp.unit === 'milliseconds' ? now.getTime() : Math.floor(now.getTime() / 1000);
    if (rule.timestamp.header) headers[rule.timestamp.header.toLowerCase()] = String(stamp);
    const path = rule.timestamp.body ? simplePathOf(rule.timestamp.body) : undefined;
    if (path && path.length > 0 && value && typeof value === 'object') setPath(value as Record<string, unknown>, path, stamp);
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const body = Buffer.from(text, 'utf8');
  switch (rule.type) {
    case 'hmac': {
      const content = rule.signed_content ? String(await compileTemplate(rule.signed_content).render({ body: text, headers })) : text;
      const header = rule.header.toLowerCase();
      const sample = headers[header];
      const placeholder = sample ? DIGEST_PLACEHOLDER.exec(sample) : null;
      const algorithm = placeholder?.[1] ?? rule.algorithm ?? 'sha256';
      const encoding = (placeholder?.[2] ?? rule.encoding ?? 'hex') as 'hex' | 'base64';
      const digest = createHmac(algorithm, secret).update(content).digest(encoding);
      headers[header] = sample && placeholder ? sample.replace(DIGEST_PLACEHOLDER, digest) : `${rule.prefix ?? ''}${digest}`;
      break;
    }
    case 'standard_webhooks': {
      const id = options.id ?? headers['webhook-id'] ?? `msg_${Buffer.from(text).toString('base64url').slice(0, 16)}`;
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
      headers['webhook-signature'] = new Webhook(secret).sign(id, now, body);
      break;
    }
    case 'token':
      headers[rule.header.toLowerCase()] = secret;
      break;
    case 'none':
      break;
  }
  return { body, headers };
}

/** A test secret in the shape the rule needs (Standard Webhooks wants `whsec_` + base64). */
export function testSecretFor(rule: SignatureNode, seed = 'conformance'): string {
  if (rule.type === 'standard_webhooks') return `whsec_${Buffer.from(`${seed}-secret-0123456789abcdef`).toString('base64')}`;
  return `${seed}-webhook-secret`;
}

/** The config key a rule's secret template reads (`{{ config.webhook_secret }}` → "webhook_secret"). */
export function secretConfigKey(rule: SignatureNode): string | undefined {
  if (rule.type === 'none') return undefined;
  const source = Array.isArray(rule.secret) ? rule.secret[0] : rule.secret;
  const match = source ? /\{\{\s*\$?config\.(?:`([^`]+)`|([A-Za-z_]\w*))\s*\}\}/.exec(source) : null;
  return match ? (match[1] ?? match[2]) : undefined;
}
