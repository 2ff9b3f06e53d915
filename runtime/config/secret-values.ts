/**
 * The values of config fields whose spec marks them `secret: true` (at any depth: nested objects,
 * arrays, additionalProperties, anyOf branches). Feed them to createRedactor().
 */
export function secretValues(spec: unknown, config: unknown): string[] {
  const out = new Set<string>();
  collect(spec, config, out);
  return [...out];
}

type Schema = Record<string, unknown>;

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collect(schema: unknown, value: unknown, out: Set<string>): void {
  if (!isObject(schema) || value === undefined || value === null) return;
  if (schema['secret'] === true || schema['airbyte_secret'] === true) {
    leaves(value, out);
    return;
  }
  for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
    const branches = schema[keyword];
    if (Array.isArray(branches)) for (const branch of branches) collect(branch, value, out);
  }
  if (Array.isArray(value)) {
    const items = schema['items'];
    if (isObject(items)) for (const item of value) collect(items, item, out);
    return;
  }
  if (!isObject(value)) return;
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  const patterns = isObject(schema['patternProperties']) ? Object.entries(schema['patternProperties']) : [];
  const additional = schema['additionalProperties'];
  for (const [key, item] of Object.entries(value)) {
    if (key in properties) collect(properties[key], item, out);
    for (const [pattern, sub] of patterns) if (new RegExp(pattern, 'u').test(key)) collect(sub, item, out);
    if (!(key in properties) && isObject(additional)) collect(additional, item, out);
  }
}

function leaves(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') {
    if (value !== '') out.add(value);
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    out.add(String(value));
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) leaves(item, out);
  }
}
