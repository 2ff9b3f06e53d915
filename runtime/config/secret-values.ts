/**
 * Where a connection config holds secrets: the values under spec nodes marked `secret: true` (or
 * Airbyte's `airbyte_secret`), at any depth (nested objects, arrays, additionalProperties,
 * patternProperties, anyOf/oneOf/allOf branches). This file is the one reader of that mark: log
 * redaction, sealing at rest and the admin API's hiding all walk the config through it.
 */

/** A secret's place in the config: object keys and array indexes, outermost first. */
export type SecretPath = readonly (string | number)[];

type Schema = Record<string, unknown>;

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether one spec node is marked secret. */
export function isSecretSchema(schema: unknown): boolean {
  return isObject(schema) && (schema['secret'] === true || schema['airbyte_secret'] === true);
}

/** The paths of the config values that sit under a secret spec node, each once, outermost only. */
export function secretPaths(spec: unknown, config: unknown): SecretPath[] {
  const found = new Map<string, SecretPath>();
  visit(spec, config, [], (path) => found.set(JSON.stringify(path), path));
  // A secret inside another secret (e.g. two anyOf branches marking different depths) is sealed with it.
  const paths = [...found.values()].sort((a, b) => a.length - b.length);
  return paths.filter((path, i) => !paths.slice(0, i).some((outer) => outer.length < path.length && outer.every((part, k) => part === path[k])));
}

/** The values of the config's secret fields (every string or number leaf): feed them to createRedactor(). */
export function secretValues(spec: unknown, config: unknown): string[] {
  const out = new Set<string>();
  visit(spec, config, [], (_path, value) => leaves(value, out));
  return [...out];
}

function visit(schema: unknown, value: unknown, path: (string | number)[], found: (path: SecretPath, value: unknown) => void): void {
  if (!isObject(schema) || value === undefined || value === null) return;
  if (isSecretSchema(schema)) {
    found([...path], value);
    return;
  }
  for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
    const branches = schema[keyword];
    if (Array.isArray(branches)) for (const branch of branches) visit(branch, value, path, found);
  }
  if (Array.isArray(value)) {
    const items = schema['items'];
    if (isObject(items)) value.forEach((item, index) => visit(items, item, [...path, index], found));
    return;
  }
  if (!isObject(value)) return;
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  const patterns = isObject(schema['patternProperties']) ? Object.entries(schema['patternProperties']) : [];
  const additional = schema['additionalProperties'];
  // Declared keys in the spec's order (so paths are listed alike whatever the config's key order), then the rest.
  const keys = [...Object.keys(properties).filter((key) => Object.hasOwn(value, key)), ...Object.keys(value).filter((key) => !Object.hasOwn(properties, key))];
  for (const key of keys) {
    const item = value[key];
    const at = [...path, key];
    const declared = Object.hasOwn(properties, key);
    if (declared) visit(properties[key], item, at, found);
    for (const [pattern, sub] of patterns) if (new RegExp(pattern, 'u').test(key)) visit(sub, item, at, found);
    if (!declared && isObject(additional)) visit(additional, item, at, found);
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
