import type { SignatureNode } from './schema.js';

/** Request headers as Node gives them: lower-case names, a string or a list of strings. */
export type RawHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Why a delivery was refused. The HTTP layer maps these to statuses (401 or 400, 500 for misconfigured). */
export type VerifyFailureReason = 'missing_header' | 'mismatch' | 'stale_timestamp' | 'misconfigured' | 'malformed';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailureReason; message: string };

/** What every verifier receives. `secrets` are already rendered (several during rotation). */
export interface VerifyInput<R> {
  rule: R;
  rawBody: Buffer;
  /** Lower-case names, first value of repeated headers. */
  headers: Readonly<Record<string, string>>;
  secrets: readonly string[];
  now: Date;
}

/** One verifier per signature `type`. */
export type Verifier<K extends SignatureNode['type']> = (input: VerifyInput<Extract<SignatureNode, { type: K }>>) => Promise<VerifyResult>;

export const fail = (reason: VerifyFailureReason, message: string): VerifyResult => ({ ok: false, reason, message });
export const OK: VerifyResult = Object.freeze({ ok: true });
