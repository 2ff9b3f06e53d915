/** What a secret is replaced with. */
export const MASK = '***';

/** Secret values shorter than this are not masked: a one-letter secret would mask that letter everywhere. */
export const MIN_MASKED_LENGTH = 4;

export type Redactor = (text: string) => string;

const identity: Redactor = (text) => text;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Base64 pieces that appear whenever the secret is encoded inside a longer value, whatever its
 * alignment: `Basic base64(user:token)` contains one of these for `token`. Characters that mix
 * the secret's bits with a neighbour's are left out.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [bytes.toString('base64')];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const start = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * (shift + bytes.length)) / 6);
    const piece = encoded.slice(start, end);
    if (piece.length >= 4) forms.push(piece);
  }
  return forms.flatMap((form) => [form, form.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')]);
}

/** The secret and the forms it takes on the wire: URL-encoded (both ways) and base64. */
function formsOf(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+')];
  if (secret.length >= 4) forms.push(...base64Forms(secret));
  return forms;
}

/**
 * A function that masks every occurrence of each secret (and its encoded forms) with `***`. Empty
 * secrets are ignored; with no secrets it returns its input untouched, at no cost.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret === '') continue;
    for (const form of formsOf(secret)) if (form !== '') forms.add(form);
  }
  if (forms.size === 0) return identity;
  // Longest first, so a secret is masked whole rather than a shorter secret inside it.
  const pattern = new RegExp([...forms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  return (text) => (typeof text === 'string' && text !== '' ? text.replace(pattern, MASK) : text);
}

/** A copy of a JSON-like value with every string redacted (keys are kept as they are). */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (redact === identity) return value;
  return walk(value, redact) as T;
}

function walk(value: unknown, redact: Redactor): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, redact));
  if (typeof value === 'object' && value !== null) {
    if (value instanceof Error) return redactError(value, redact);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, redact)]));
  }
  return value;
}

/**
 * A copy of an error with its message and its original stack (where it was thrown, not here)
 * redacted; the stack repeats the message, so a secret in one would be in the other. A string
 * `code` is kept, so the log still says which error it was.
 */
function redactError(error: Error, redact: Redactor): Error {
  const copy = new Error(redact(error.message));
  copy.name = error.name;
  copy.stack = error.stack === undefined ? `${copy.name}: ${copy.message}` : redact(error.stack);
  const code: unknown = (error as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}
