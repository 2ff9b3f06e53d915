import type { SignatureNode } from './schema.js';
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

/** Request headers that carry credentials of their own: checked, never stored or published. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'] as const;

/**
 * The (normalised) headers kept with a delivery, in a store or on the bus: all but those that carry
 * a secret, that is a `type: token` rule's header (the webhook secret itself, e.g. X-Gitlab-Token)
 * and credential headers a proxy or provider may add. Kept, they would be a copy of a secret in
 * plain text beside the sealed one, in the database, its backups and on the bus. Most deliveries
 * have none: no copy then. Without the rule (a row stored by an older release), the credential
 * headers go.
 */
export function keptHeaders(headers: Readonly<Record<string, string>>, signature: SignatureNode | undefined): Record<string, string> {
  const token = signature?.type === 'token' ? signature.header.toLowerCase() : undefined;
  if (!(token !== undefined && token in headers) && !CREDENTIAL_HEADERS.some((name) => name in headers)) return headers as Record<string, string>;
  const kept = { ...headers };
  if (token !== undefined) delete kept[token];
  for (const name of CREDENTIAL_HEADERS) delete kept[name];
  return kept;
}
