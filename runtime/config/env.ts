import { ConnectorError } from '../errors/index.js';

/** `${VAR}`, `${VAR:-default}`; `$${...}` stays literal as `${...}`. */
const REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Told of each `${VAR}` (without a `:-default`) that is set to the empty string: it expands to "" on
 * purpose (a variable exported empty is a choice), but an empty token is more often a mistake, so
 * callers warn naming the config key (`key`, dotted: `token`, `repositories.0`).
 */
export type OnEmptyVariable = (variable: string, key: string) => void;

/**
 * Expand environment references in every string of a config, recursively. All missing variables are
 * reported at once, each with the config key that needs it; values are never echoed.
 */
export function expandEnv(value: unknown, env: Env, file?: string, onEmpty?: OnEmptyVariable): unknown {
  const missing: { variable: string; key: string }[] = [];
  const out = walk(value, env, [], { missing, ...(onEmpty ? { onEmpty } : {}) });
  if (missing.length > 0) {
    const list = missing.map(({ variable, key }) => `${variable} (for config.${key})`).join(', ');
    const first = missing[0] as { variable: string; key: string };
    throw new ConnectorError('CONFIG_ENV_MISSING', `environment variable${missing.length > 1 ? 's' : ''} not set: ${list}`, {
      hint: `Export ${missing.map((m) => m.variable).join(', ')}, or give a default with \${${first.variable}:-value}.`,
      location: { ...(file === undefined ? {} : { file }), path: `config.${first.key}` },
      context: { variables: missing.map((m) => m.variable) },
    });
  }
  return out;
}

interface Found {
  missing: { variable: string; key: string }[];
  onEmpty?: OnEmptyVariable;
}

function walk(value: unknown, env: Env, path: string[], found: Found): unknown {
  if (typeof value === 'string') return expandString(value, env, path.join('.'), found);
  if (Array.isArray(value)) return value.map((item, index) => walk(item, env, [...path, String(index)], found));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, env, [...path, key], found)]));
  }
  return value;
}

function expandString(text: string, env: Env, key: string, { missing, onEmpty }: Found): string {
  if (!text.includes('${')) return text;
  return text.replace(REFERENCE, (match, escaped: string, variable: string, fallback: string | undefined) => {
    if (escaped) return match.slice(1);
    const found = env[variable];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    if (found === '') {
      onEmpty?.(variable, key);
      return found;
    }
    missing.push({ variable, key });
    return '';
  });
}
