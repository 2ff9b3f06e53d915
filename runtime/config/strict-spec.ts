/**
 * Config specs are strict the way manifests are: a key the spec does not declare is a typo until the
 * spec says otherwise. `strictSpec()` returns a copy of a spec where every object node that declares
 * `properties` (and says nothing of extra keys) gets `additionalProperties: false`, so ajv refuses the
 * stray key and resolve.ts names it with a did-you-mean.
 *
 * JSON Schema's `additionalProperties` only sees the `properties` of its own node, so combinators need
 * care: a key declared in one `anyOf`/`oneOf`/`allOf` branch must not be refused by its parent or a
 * sibling branch. Branches are therefore never made strict themselves; their parent is, with the keys
 * every branch declares added to its `properties` as `true` (accept, the branch checks the value). A
 * node whose combinators cannot be read that way (`if`/`then`, `patternProperties` or extra keys
 * allowed in a branch, a `$ref` that could not be put in place) is left open. Shapes defined once and
 * referenced with a local `$ref` are first copied to where they are used, so they are read like any other.
 */

import { inlineLocalRefs, isSchemaObject as isObject, type Schema } from './spec-refs.js';

const COMBINATORS = ['allOf', 'anyOf', 'oneOf'] as const;
/** Keywords whose subschemas validate the same object as their node: keys could be declared there. */
const OPAQUE = ['$ref', '$dynamicRef', 'if', 'then', 'else', 'dependencies', 'dependentSchemas', 'unevaluatedProperties', 'not'] as const;

function branchesOf(node: Schema): Schema[] {
  return COMBINATORS.flatMap((keyword) => (Array.isArray(node[keyword]) ? (node[keyword] as unknown[]).filter(isObject) : []));
}

/**
 * The keys a node and its combinator branches (at any depth) declare for the same object, or
 * undefined when that object may hold keys nobody can list (extra keys allowed, patterns, refs).
 */
function declaredKeys(node: Schema, isBranch: boolean): Set<string> | undefined {
  if (OPAQUE.some((keyword) => keyword in node) || 'patternProperties' in node) return undefined;
  // A branch saying `additionalProperties: false` already refuses its parent's keys: the spec author's choice.
  if (isBranch && 'additionalProperties' in node && node['additionalProperties'] !== false) return undefined;
  // A key the spec requires is declared too, even when only a branch's `required` names it.
  const required = Array.isArray(node['required']) ? node['required'].filter((key): key is string => typeof key === 'string') : [];
  const keys = new Set([...(isObject(node['properties']) ? Object.keys(node['properties']) : []), ...required]);
  for (const branch of branchesOf(node)) {
    const inner = declaredKeys(branch, true);
    if (inner === undefined) return undefined;
    for (const key of inner) keys.add(key);
  }
  return keys;
}

/** A strict copy of `spec` (the argument is not changed: manifests are frozen). */
export function strictSpec(spec: object): Schema {
  const copy = inlineLocalRefs(spec as Schema);
  tighten(copy, false);
  return copy;
}

function tighten(node: Schema, isBranch: boolean, shared: ReadonlySet<string> = new Set()): void {
  // A key declared both by a node and a branch (or by two branches) is one value seen by two schemas:
  // making either strict could refuse what the other declares, so that value is left as written.
  if (!isBranch) shared = keysDeclaredTwice(node);
  if (!isBranch && isObject(node['properties']) && !('additionalProperties' in node)) {
    const keys = declaredKeys(node, false);
    if (keys !== undefined) {
      const properties = node['properties'];
      for (const key of keys) if (!(key in properties)) properties[key] = true;
      node['additionalProperties'] = false;
    }
  }
  const properties = isObject(node['properties']) ? Object.entries(node['properties']).filter(([key]) => !shared.has(key)) : [];
  // Deeper objects (values of keys, array items, extra keys) are objects of their own: tighten them too.
  const children: unknown[] = [
    ...properties.map(([, child]) => child),
    ...(isObject(node['patternProperties']) ? Object.values(node['patternProperties']) : []),
    ...(Array.isArray(node['items']) ? node['items'] : [node['items']]),
    ...(Array.isArray(node['prefixItems']) ? node['prefixItems'] : []),
    node['additionalProperties'],
    node['additionalItems'],
  ];
  for (const child of children) if (isObject(child)) tighten(child, false);
  for (const branch of branchesOf(node)) tighten(branch, true, shared);
}

/** Keys declared (in `properties`) by more than one of a node and its combinator branches. */
function keysDeclaredTwice(node: Schema): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  const walk = (schema: Schema): void => {
    for (const key of isObject(schema['properties']) ? Object.keys(schema['properties']) : []) (seen.has(key) ? twice : seen).add(key);
    for (const branch of branchesOf(schema)) walk(branch);
  };
  walk(node);
  return twice;
}
