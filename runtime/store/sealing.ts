import type { SecretPath } from '../config/index.js';
import type { SecretBox } from '../crypto/index.js';

const SEALED = '$sealed';

/** Replace the values at `paths` with `{ "$sealed": box.seal(JSON) }`; returns a new object. */
export function sealFields(config: Record<string, unknown>, paths: readonly SecretPath[], box: SecretBox): Record<string, unknown> {
  const copy = structuredClone(config);
  for (const path of paths) {
    const parent = walk(copy, path.slice(0, -1));
    const last = path[path.length - 1]!;
    if (parent && parent[last] !== undefined) parent[last] = { [SEALED]: box.seal(JSON.stringify(parent[last])) };
  }
  return copy;
}

/** Open every `{ "$sealed": ... }` value, wherever it is. */
export function openFields(value: unknown, box: SecretBox): unknown {
  if (Array.isArray(value)) return value.map((item) => openFields(item, box));
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === SEALED && typeof record[SEALED] === 'string') return JSON.parse(box.open(record[SEALED]));
    return Object.fromEntries(keys.map((key) => [key, openFields(record[key], box)]));
  }
  return value;
}

function walk(root: Record<string, unknown>, parts: SecretPath): Record<string | number, unknown> | undefined {
  let node: unknown = root;
  for (const part of parts) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}
