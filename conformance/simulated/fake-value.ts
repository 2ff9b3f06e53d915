import type { Rng } from '../server/rng.js';

type Schema = Record<string, unknown>;

/**
 * A value that conforms to a JSON Schema (the subset stream schemas use: types, properties, items,
 * enum, const, formats, bounds, anyOf/oneOf/allOf). Deterministic for a given generator state.
 */
export function fakeValue(schema: unknown, rng: Rng, field = 'value', depth = 0): unknown {
  if (!schema || typeof schema !== 'object') return `${field}-${rng.int(1, 99999)}`;
  const s = schema as Schema;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return rng.pick(s.enum.filter((v) => v !== null).length ? s.enum.filter((v) => v !== null) : s.enum);
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = s[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const nonNull = branches.filter((b) => !(b && typeof b === 'object' && (b as Schema).type === 'null'));
      return fakeValue({ ...s, [key]: undefined, ...(nonNull[0] ?? branches[0]) as Schema }, rng, field, depth);
    }
  }
  if (Array.isArray(s.allOf)) {
    const merged = (s.allOf as Schema[]).reduce<Schema>((acc, part) => ({ ...acc, ...part, properties: { ...(acc.properties as Schema), ...(part.properties as Schema) } }), { ...s, allOf: undefined });
    return fakeValue(merged, rng, field, depth);
  }
  const type = pickType(s);
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return rng.next() < 0.5;
    case 'integer': {
      const min = typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 1;
      const max = typeof s.maximum === 'number' ? Math.floor(s.maximum) : Math.max(min, 100000);
      return rng.int(min, max);
    }
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : 0;
      const max = typeof s.maximum === 'number' ? s.maximum : min + 1000;
      return Math.round((min + rng.next() * (max - min)) * 100) / 100;
    }
    case 'string':
      return fakeString(s, rng, field);
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 1;
      const max = typeof s.maxItems === 'number' ? s.maxItems : Math.max(min, 3);
      const length = depth > 4 ? min : rng.int(min, max);
      return Array.from({ length }, () => fakeValue(s.items ?? { type: 'string' }, rng, field, depth + 1));
    }
    case 'object':
    default: {
      const out: Record<string, unknown> = {};
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      if (depth > 6) return out;
      for (const [name, sub] of Object.entries(properties)) out[name] = fakeValue(sub, rng, name, depth + 1);
      return out;
    }
  }
}

function pickType(s: Schema): string {
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return (s.type as string[]).find((t) => t !== 'null') ?? 'null';
  if (s.properties) return 'object';
  if (s.items) return 'array';
  return 'string';
}

const BASE = Date.UTC(2024, 0, 1);

function fakeString(s: Schema, rng: Rng, field: string): string {
  const n = rng.int(1, 99999);
  let value: string;
  switch (s.format) {
    case 'date-time':
      value = new Date(BASE + rng.int(0, 365 * 24) * 3600_000).toISOString();
      break;
    case 'date':
      value = new Date(BASE + rng.int(0, 365) * 86400_000).toISOString().slice(0, 10);
      break;
    case 'email':
      value = `user${n}@example.com`;
      break;
    case 'uri':
    case 'url':
    case 'uri-reference':
      value = `https://example.com/${field}/${n}`;
      break;
    case 'uuid':
      value = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      break;
    default:
      value = `${field}-${n}`;
  }
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
  if (value.length < min) value = value.padEnd(min, 'x');
  if (value.length > max) value = value.slice(0, max);
  return value;
}

/** The schema of a (possibly nested) field, following `properties`. */
export function fieldSchema(schema: unknown, path: readonly string[]): Schema | undefined {
  let current = schema as Schema | undefined;
  for (const key of path) {
    const props = current?.properties as Record<string, Schema> | undefined;
    current = props?.[key];
    if (!current) return undefined;
  }
  return current;
}
