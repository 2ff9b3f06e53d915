import { createHash } from 'node:crypto';
import { createRedactor } from '../../runtime/secrets/index.js';
import type { Cassette, Interaction } from './format.js';

export interface ScrubOptions {
  /** Secret values (the config's `secret: true` fields, tokens): masked anywhere, in every encoding the runtime's redactor knows (URL, base64). */
  secrets: readonly string[];
  /** Body fields holding personal data, replaced by stable pseudonyms. Default: PERSONAL_FIELDS. */
  personalFields?: readonly string[];
  /** Response headers dropped from recordings. Default: cookies and credential headers. */
  dropHeaders?: readonly string[];
  /**
   * Values never pseudonymised: the recording's own config values (a repository name in
   * `repositories` is in request paths, and replay must request the same paths).
   */
  keep?: readonly string[];
}

export const PERSONAL_FIELDS = ['email', 'name', 'login', 'avatar_url', 'gravatar_id', 'company', 'location', 'bio', 'blog', 'twitter_username', 'display_name', 'full_name', 'real_name'];
const DROP_HEADERS = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key', 'private-token', 'www-authenticate'];

/**
 * Removes secrets and personal data from recorded interactions. Personal values get pseudonyms
 * derived from a hash, so equal values stay equal (a user's login in a parent record and in a child
 * request path) and the recording replays consistently.
 */
export function createScrubber(options: ScrubOptions) {
  const personal = new Set((options.personalFields ?? PERSONAL_FIELDS).map((f) => f.toLowerCase()));
  const drop = new Set((options.dropHeaders ?? DROP_HEADERS).map((h) => h.toLowerCase()));
  const redact = createRedactor(options.secrets.filter((s) => s.length >= 4));
  const pseudonyms = new Map<string, string>();
  const keep = new Set(options.keep ?? []);

  const pseudonym = (field: string, value: string): string => {
    const known = pseudonyms.get(value);
    if (known) return known;
    const digest = createHash('sha256').update(value).digest('hex').slice(0, 8);
    const fake = value.includes('@') ? `user-${digest}@example.com` : /^https?:\/\//.test(value) ? `https://example.com/${field}/${digest}` : `${field}-${digest}`;
    pseudonyms.set(value, fake);
    return fake;
  };

  const text = (value: string): string => redact(value);

  const walk = (value: unknown, field = ''): unknown => {
    if (typeof value === 'string') return personal.has(field.toLowerCase()) && value !== '' && !keep.has(value) ? pseudonym(field, value) : text(value);
    if (Array.isArray(value)) return value.map((item) => walk(item, field));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };

  // Path segments and query values that equal a scrubbed personal value take its pseudonym too.
  const segment = (value: string): string => {
    const decoded = safeDecode(value);
    const fake = pseudonyms.get(decoded);
    return fake ? encodeURIComponent(fake) : text(value);
  };

  const interaction = (i: Interaction): Interaction => ({
    request: {
      method: i.request.method,
      path: i.request.path.split('/').map(segment).join('/'),
      query: Object.fromEntries(Object.entries(i.request.query).map(([k, v]) => [k, Array.isArray(v) ? v.map(segment) : segment(v)])),
      ...(i.request.body === undefined ? {} : { body: walk(i.request.body) }),
    },
    response: {
      status: i.response.status,
      headers: Object.fromEntries(Object.entries(i.response.headers).filter(([h]) => !drop.has(h.toLowerCase())).map(([h, v]) => [h, text(v)])),
      body: walk(i.response.body),
    },
  });

  return {
    /** Scrub a whole cassette: bodies first (to learn pseudonyms), then requests. */
    cassette(cassette: Cassette): Cassette {
      // Walk every body first, so pseudonyms learnt from later pages also apply to earlier paths.
      for (const i of cassette.interactions) walk(i.response.body);
      return { ...cassette, interactions: cassette.interactions.map(interaction) };
    },
    value: (value: unknown) => walk(value),
    text,
  };
}

export type Scrubber = ReturnType<typeof createScrubber>;

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
