/**
 * Where a connection config holds secrets: the values under spec nodes marked `secret: true` (or
 * Airbyte's `airbyte_secret`), at any depth (nested objects, arrays, additionalProperties,
 * patternProperties, anyOf/oneOf/allOf branches, if/then/else, local `$ref`s). This file is the one
 * reader of that mark: log redaction, sealing at rest and the admin API's hiding all walk the config
 * through it. Where a mark applies only under a condition (a branch, `then`), the value counts as
 * secret: sealing one value too many costs nothing, one too few leaks it.
 */

/** A secret's place in the config: object keys and array indexes, outermost first. */
export type SecretPath = readonly (string | number)[];

import { isSchemaObject as isObject, localRefTarget } from './spec-refs.js';

/** Whether one spec node is marked secret. */
export function isSecretSchema(schema: unknown): boolean {
  return isObject(schema) && (schema['secret'] === true || schema['airbyte_secret'] === true);
}

/** Whether a spec node is marked secret, itself or through the local `$ref`s it stands for. */
export function isMarkedSecret(spec: unknown, schema: unknown): boolean {
  const seen = new Set<unknown>();
  for (let node = schema; isObject(node) && !seen.has(node); node = localRefTarget(spec, node['$ref'])) {
    if (isSecretSchema(node)) return true;
    seen.add(node);
  }
  return false;
}

/** The paths of the config values that sit under a secret spec node, each once, outermost only. */
export function secretPaths(spec: unknown, config: unknown): SecretPath[] {
  const found = new Map<string, SecretPath>();
  visit(spec, config, [], { root: spec, found: (path) => found.set(JSON.stringify(path), path) });
  // A secret inside another secret (e.g. two anyOf branches marking different depths) is sealed with it.
  const paths = [...found.values()].sort((a, b) => a.length - b.length);
  return paths.filter((path, i) => !paths.slice(0, i).some((outer) => outer.length < path.length && outer.every((part, k) => part === path[k])));
}

/** The values of the config's secret fields (every string or number leaf): feed them to createRedactor(). */
export function secretValues(spec: unknown, config: unknown): string[] {
  const out = new Set<string>();
  visit(spec, config, [], { root: spec, found: (_path, value) => leaves(value, out) });
  return [...out];
}

/** The values at `paths` of the config (every string or number leaf under each): feed them to createRedactor(). */
export function valuesAt(config: unknown, paths: readonly SecretPath[]): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    let value: unknown = config;
    for (const part of path) value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[part] : undefined;
    leaves(value, out);
  }
  return [...out];
}

interface Walk {
  /** The whole spec: where local `$ref`s point into. */
  root: unknown;
  found: (path: SecretPath, value: unknown) => void;
  /** The `$ref` targets already applied to this value: a reference cycle visits each once. */
  refs?: Set<object>;
}

const SAME_VALUE = ['anyOf', 'oneOf', 'allOf'] as const;
const CONDITIONAL = ['if', 'then', 'else'] as const;

function visit(schema: unknown, value: unknown, path: (string | number)[], walk: Walk): void {
  if (!isObject(schema) || value === undefined || value === null) return;
  if (isSecretSchema(schema)) {
    walk.found([...path], value);
    return;
  }
  // Subschemas that validate this same value: a mark in any of them applies here.
  const target = localRefTarget(walk.root, schema['$ref']);
  const refs = walk.refs ?? new Set<object>();
  if (target !== undefined && !refs.has(target)) {
    refs.add(target);
    visit(target, value, path, { ...walk, refs });
  }
  for (const keyword of SAME_VALUE) {
    const branches = schema[keyword];
    if (Array.isArray(branches)) for (const branch of branches) visit(branch, value, path, { ...walk, refs });
  }
  for (const keyword of CONDITIONAL) visit(schema[keyword], value, path, { ...walk, refs });

  // Deeper values start with no references followed.
  const inner: Walk = { root: walk.root, found: walk.found };
  if (Array.isArray(value)) {
    const items = schema['items'];
    const prefix = Array.isArray(schema['prefixItems']) ? schema['prefixItems'] : Array.isArray(items) ? items : [];
    const rest = isObject(items) ? items : isObject(schema['additionalItems']) ? schema['additionalItems'] : undefined;
    value.forEach((item, index) => visit(index < prefix.length ? prefix[index] : rest, item, [...path, index], inner));
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
    if (declared) visit(properties[key], item, at, inner);
    for (const [pattern, sub] of patterns) if (new RegExp(pattern, 'u').test(key)) visit(sub, item, at, inner);
    if (!declared && isObject(additional)) visit(additional, item, at, inner);
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
