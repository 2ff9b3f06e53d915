import { STATUS_CODES } from 'node:http';
import { scrub } from './redact.js';

const EXCERPT_CHARS = 300;

/** "404 Not Found": the status with its standard reason phrase. */
export function statusLine(status: number, statusText?: string): string {
  const reason = statusText || STATUS_CODES[status] || '';
  return reason ? `${status} ${reason}` : String(status);
}

/** The start of a body for an error message: one line, bounded, secrets scrubbed. */
export function bodyExcerpt(text: string, secrets: readonly string[]): string {
  const flat = scrub(text, secrets).replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

/** `check config "token"`, or a generic pointer when the manifest's auth names no config key. */
export function credentialAdvice(fields: readonly string[]): string {
  if (fields.length === 0) return "check the connection's credentials";
  return `check config ${fields.map((f) => `"${f}"`).join(', ')}`;
}
