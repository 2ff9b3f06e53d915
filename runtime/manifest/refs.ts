import { ConnectorError } from '../errors/index.js';
import { suggestion } from './levenshtein.js';
import { formatPath, type Path, type SourceMap, type Span } from './source-map.js';

/**
 * `$ref: "#/definitions/<name>"` anywhere in the manifest (except inside `spec`, which is a JSON
 * Schema with its own `$ref`s) is replaced by a copy of the definition; keys written beside the
 * `$ref` override the definition's keys. Copies keep their source positions, so an error inside a
 * referenced definition points at the definition's text.
 */

export interface RefResult {
  value: unknown;
  problems: ConnectorError[];
  /** Paths of objects whose `$ref` failed: schema errors at or under them are noise and are dropped. */
  broken: string[];
}

const PREFIX = '#/definitions/';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function resolveRefs(root: unknown, source: SourceMap): RefResult {
  const problems: ConnectorError[] = [];
  const broken: string[] = [];
  if (!isRecord(root)) return { value: root, problems, broken };
  const definitions = isRecord(root['definitions']) ? root['definitions'] : {};

  const copy = <T>(value: T, walk: (v: unknown, p: Path) => unknown, path: Path): T => {
    if (Array.isArray(value)) {
      const out = value.map((item, i) => walk(item, [...path, i]));
      const info = source.get(value);
      if (info) source.set(out, { start: info.start, children: new Map(info.children) });
      return out as T;
    }
    if (isRecord(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key]);
      const info = source.get(value);
      if (info) source.set(out, { start: info.start, children: new Map(info.children) });
      return out as T;
    }
    return value;
  };

  /** `stack` holds the definition names being expanded, to detect cycles. */
  const walk = (value: unknown, path: Path, stack: readonly string[]): unknown => {
    if (!isRecord(value) || !('$ref' in value)) return copy(value, (v, p) => walk(v, p, stack), path);
    const ref = value['$ref'];
    const fail = (message: string, hint: string): unknown => {
      problems.push(new ConnectorError('MANIFEST_REF', message, { location: { ...source.locate(value, ['$ref']), path: formatPath([...path, '$ref']) }, hint }));
      broken.push(formatPath(path));
      const { $ref: _drop, ...rest } = value;
      return copy(rest, (v, p) => walk(v, p, stack), path);
    };
    const where = formatPath(path) || 'the top level';
    if (typeof ref !== 'string' || !ref.startsWith(PREFIX)) {
      return fail(`$ref at ${where} must be a string like "${PREFIX}<name>", got ${JSON.stringify(ref)}`, 'Only references into this manifest\'s `definitions` are supported.');
    }
    const name = ref.slice(PREFIX.length);
    if (stack.includes(name)) {
      return fail(`$ref cycle at ${where}: ${[...stack, name].join(' → ')}`, 'Break the cycle: a definition must not refer to itself, directly or through others.');
    }
    if (!(name in definitions)) {
      const known = Object.keys(definitions);
      return fail(
        `$ref at ${where} points at a definition that does not exist: ${JSON.stringify(name)}${suggestion(name, known)}`,
        known.length > 0 ? `Defined: ${known.join(', ')}.` : 'Add it under `definitions`.',
      );
    }
    const target = walk(definitions[name], path, [...stack, name]);
    const siblings = Object.keys(value).filter((key) => key !== '$ref');
    if (siblings.length === 0) return target;
    if (!isRecord(target)) {
      return fail(`$ref at ${where} has keys beside it, but definition ${JSON.stringify(name)} is not a mapping`, 'Only a mapping can be extended with sibling keys.');
    }
    // Sibling keys override the definition's keys (a shallow merge), and keep their own positions.
    const merged: Record<string, unknown> = { ...target };
    const info = source.get(value);
    const children = new Map<string | number, Span>(source.get(target)?.children ?? []);
    for (const key of siblings) {
      merged[key] = walk(value[key], [...path, key], stack);
      const span = info?.children.get(key);
      if (span) children.set(key, span);
    }
    source.set(merged, { start: info?.start ?? 0, children });
    return merged;
  };

  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(root)) {
    // `spec` is a JSON Schema: its `$ref`s are its own. `definitions` stays as written.
    out[key] = key === 'spec' || key === 'definitions' ? item : walk(item, [key], []);
  }
  const info = source.get(root);
  if (info) source.set(out, info);
  return { value: out, problems, broken };
}
