import type { JsonSchema } from './json-schema.js';
import { pickBranch } from './unions.js';

/**
 * Fill in `default`s from the schema, in place, before validation. ajv's `useDefaults` skips
 * defaults inside `anyOf`, and most components are unions (auth, pagination...); this walker picks
 * the branch the same way error reporting does, so defaults come from the schema and nowhere else.
 */
export function applyDefaults(schema: unknown, value: unknown): void {
  if (!isObject(schema)) return;
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf)) {
    const index = pickBranch(anyOf, value);
    if (index !== undefined) applyDefaults(anyOf[index], value);
    return;
  }
  if (Array.isArray(value)) {
    const items = schema['items'];
    if (isObject(items)) for (const item of value) applyDefaults(items, item);
    return;
  }
  if (!isObject(value)) return;
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  for (const [key, property] of Object.entries(properties)) {
    if (!(key in value) && isObject(property) && 'default' in property) value[key] = structuredClone(property['default']);
    if (key in value) applyDefaults(property, value[key]);
  }
  const patterns = isObject(schema['patternProperties']) ? Object.entries(schema['patternProperties']) : [];
  for (const key of Object.keys(value)) {
    if (key in properties) continue;
    for (const [pattern, property] of patterns) {
      if (new RegExp(pattern, 'u').test(key)) applyDefaults(property, value[key]);
    }
  }
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
