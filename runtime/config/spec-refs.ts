/**
 * A config spec is a JSON Schema, and may define a shape once (under `$defs` or `definitions`) and
 * point at it with `$ref`. The readers of a spec that walk it by hand (secret marks, strictness) must
 * follow those pointers the way ajv does, or a secret or a key declared behind one is invisible to them.
 */

export type Schema = Record<string, unknown>;

export function isSchemaObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The node a local `$ref` ("#", "#/$defs/repo", any JSON pointer into the spec) points at, or
 * undefined for anything else (a remote or `$id`-based reference, a pointer to nothing). Those are
 * not followed: ajv refuses to compile a spec whose reference it cannot resolve.
 */
export function localRefTarget(root: unknown, ref: unknown): Schema | undefined {
  if (typeof ref !== 'string' || !ref.startsWith('#')) return undefined;
  const pointer = ref.slice(1);
  if (pointer !== '' && !pointer.startsWith('/')) return undefined;
  let node: unknown = root;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isSchemaObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return isSchemaObject(node) ? node : undefined;
}

/** Keys that say something about a node without constraining its value: they may stand beside a `$ref`. */
const ANNOTATIONS = new Set(['$ref', '$comment', 'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', 'secret', 'airbyte_secret', 'order']);
/** Keys whose values are data, not schemas: copied as they are, whatever they hold. */
const DATA = new Set(['default', 'examples', 'const', 'enum']);

/**
 * A copy of `spec` in which each local `$ref` that stands alone (annotations aside) is replaced by a
 * copy of the node it points at, the annotations written beside it winning. Readers that reason about
 * one node at a time (which keys does this object declare?) then see every shape in place. A
 * reference into a node it is part of (a recursive shape) is left as it is, and so is everything when
 * the spec sets an `$id` below its root (references then resolve against other bases).
 */
export function inlineLocalRefs(spec: Schema): Schema {
  if (hasNestedId(spec, true)) return structuredClone(spec);
  const inline = (node: unknown, expanding: readonly object[]): unknown => {
    if (Array.isArray(node)) return node.map((item) => inline(item, expanding));
    if (!isSchemaObject(node)) return node;
    const target = localRefTarget(spec, node['$ref']);
    const standsAlone = Object.keys(node).every((key) => ANNOTATIONS.has(key));
    if (target !== undefined && standsAlone && !expanding.includes(target)) {
      const { $ref: _ref, ...annotations } = node;
      const expanded = inline(target, [...expanding, target]) as Schema;
      return { ...expanded, ...annotations };
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, DATA.has(key) ? structuredClone(value) : inline(value, expanding)]));
  };
  return inline(spec, [spec]) as Schema;
}

function hasNestedId(node: unknown, isRoot: boolean): boolean {
  if (Array.isArray(node)) return node.some((item) => hasNestedId(item, false));
  if (!isSchemaObject(node)) return false;
  if (!isRoot && typeof node['$id'] === 'string') return true;
  return Object.values(node).some((value) => hasNestedId(value, false));
}
