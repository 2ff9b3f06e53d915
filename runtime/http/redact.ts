import { urlWithParams } from './transport.js';
import type { PreparedRequest } from './types.js';

const MASK = '***';
/** Query parameter names that usually carry a secret even when the manifest put them there itself. */
const SECRET_NAME = /token|secret|password|passwd|api[-_]?key|apikey|signature|sig$|auth|session|credential/i;
const SECRET_HEADER = /authorization|token|secret|api[-_]?key|cookie|session|credential/i;

function pick(map: Record<string, string>, names: RegExp): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter(([name]) => names.test(name)));
}

/**
 * What authentication added to a request: header and parameter values (and the parts of an
 * `Authorization` value), so they can be scrubbed from any text that might echo them.
 */
export function addedSecrets(before: PreparedRequest, after: PreparedRequest): string[] {
  const secrets = new Set<string>();
  const collect = (was: Record<string, string>, now: Record<string, string>) => {
    for (const [name, value] of Object.entries(now)) {
      if (was[name] === value || value === '') continue;
      secrets.add(value);
      // "Bearer abc", "token abc", "Basic abc": the credential part alone may be echoed too.
      for (const part of value.split(/\s+/)) if (part.length >= 6) secrets.add(part);
    }
  };
  collect(before.headers, after.headers);
  collect(before.params, after.params);
  // Values the manifest itself put under secret-looking names (e.g. `access_token: "{{ config.token }}"`).
  collect({}, pick(after.params, SECRET_NAME));
  collect({}, pick(after.headers, SECRET_HEADER));
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** Replace every known secret in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join(MASK);
  return out;
}

/** The URL for messages and logs: query values of secret-looking parameters are masked, known secrets scrubbed. */
export function displayUrl(request: Pick<PreparedRequest, 'url' | 'params'>, secrets: readonly string[]): string {
  let url: URL;
  try {
    url = urlWithParams(request);
  } catch {
    return scrub(request.url, secrets);
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_NAME.test(name)) url.searchParams.set(name, MASK);
  }
  url.username = url.username ? MASK : '';
  url.password = url.password ? MASK : '';
  return scrub(readable(url.toString()), secrets);
}

function readable(url: string): string {
  try {
    return decodeURI(url);
  } catch {
    return url;
  }
}
