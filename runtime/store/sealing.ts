import type { SecretPath } from '../config/index.js';
import type { SecretBox } from '../crypto/index.js';

const SEALED = '$sealed';

/**
 * Where a sealed value belongs, for `SecretBox`: a sealed value opens only there. A connection's
 * config field: `connection <id> config<path as JSON>` (JSON: no two paths share a context whatever
 * their keys hold); a stored OAuth token: `token <its key>`.
 */
const fieldContext = (connection: string, path: SecretPath) => `connection ${connection} config${JSON.stringify(path)}`;
export const tokenContext = (key: string) => `token ${key}`;

/** Replace the values at `paths` with `{ "$sealed": box.seal(JSON) }`, each bound to the connection and its path; returns a new object. */
export function sealFields(config: Record<string, unknown>, paths: readonly SecretPath[], box: SecretBox, connection: string): Record<string, unknown> {
  const copy = structuredClone(config);
  for (const path of paths) {
    const parent = walk(copy, path.slice(0, -1));
    const last = path[path.length - 1]!;
    if (parent && parent[last] !== undefined) parent[last] = { [SEALED]: box.seal(JSON.stringify(parent[last]), fieldContext(connection, path)) };
  }
  return copy;
}

/**
 * Open every `{ "$sealed": ... }` value, wherever it is, with the context of the path it is at; the
 * paths where sealed values were are added to `found`.
 */
export function openFields(value: unknown, box: SecretBox, connection: string, found: SecretPath[] = [], path: SecretPath = []): unknown {
  if (Array.isArray(value)) return value.map((item, index) => openFields(item, box, connection, found, [...path, index]));
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === SEALED && typeof record[SEALED] === 'string') {
      found.push(path);
      return JSON.parse(box.open(record[SEALED], fieldContext(connection, path)));
    }
    return Object.fromEntries(keys.map((key) => [key, openFields(record[key], box, connection, found, [...path, key])]));
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
