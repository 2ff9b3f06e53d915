import { parseAst, simplePath, variablePath, type AstNode } from './ast.js';

/** Turns a stream record back into a raw API record that the stream's `map` maps to it. */
export type Inverter = (record: Record<string, unknown>) => Record<string, unknown>;

interface Assignment {
  /** Where the value is in the mapped record. */
  from: string[];
  /** Where it goes in the raw record. */
  to: string[];
}

/**
 * Invert a `map` that is an object constructor of plain paths, e.g.
 * `{ "id": id, "author": user.login, "repo": $partition.repo, "labels": [labels.name] }`.
 * Fields taken from `$partition`/`$config` or literals need nothing in the raw record. Anything else
 * (functions, conditions, `$merge`) cannot be inverted: the result names the field and why.
 */
export function invertMap(source: string | undefined): Inverter | { skip: string } {
  if (source === undefined) return (record) => structuredClone(record);
  let root: AstNode;
  try {
    root = parseAst(source);
  } catch (error) {
    return { skip: `map does not compile: ${String(error)}` };
  }
  const assignments: Assignment[] = [];
  const problem = collect(root, [], assignments);
  if (problem) return { skip: problem };
  return (record) => {
    const raw: Record<string, unknown> = {};
    for (const { from, to } of assignments) {
      const value = read(record, from);
      if (value !== undefined) assign(raw, to, value);
    }
    return raw;
  };
}

function collect(node: AstNode, prefix: string[], out: Assignment[]): string | undefined {
  if (node.type !== 'unary' || node.value !== '{' || !Array.isArray(node.lhs)) {
    return prefix.length === 0
      ? 'map is not an object constructor of paths ({ "field": path, ... }), so the simulator cannot invert it'
      : `map field "${prefix.join('.')}" is not a path`;
  }
  for (const [keyNode, valueNode] of node.lhs) {
    if (keyNode.type !== 'string') return `map has a computed key at character ${String((keyNode as { position?: number }).position ?? '?')}`;
    const key = [...prefix, String(keyNode.value)];
    const inner = valueNode.type === 'unary' && valueNode.value === '[' && valueNode.expressions?.length === 1 ? valueNode.expressions[0]! : valueNode;
    if (['string', 'number', 'value'].includes(inner.type) || variablePath(inner)) continue;
    if (inner.type === 'unary' && inner.value === '{') {
      const problem = collect(inner, key, out);
      if (problem) return problem;
      continue;
    }
    const path = invertiblePath(inner);
    if (!path || path.length === 0) return `map field "${key.join('.')}" is computed (${describe(inner)}), which the simulator cannot invert`;
    out.push({ from: key, to: path });
  }
  return undefined;
}

/**
 * Functions that give back (a form of) their argument for the values the simulator generates:
 * `$number(5)`, `$string("a")`, `$lowercase("open")` — the generated value can be stored as is.
 */
const PASS_THROUGH = new Set(['number', 'string', 'lowercase', 'uppercase', 'trim', 'boolean']);

/**
 * The raw path an expression reads its value from: a plain path, a pass-through function of one,
 * or `$exists(p) ? p : <anything>` (the simulator sets `p`, so the first branch is taken).
 */
function invertiblePath(node: AstNode): string[] | undefined {
  const plain = simplePath(node);
  if (plain) return plain;
  if (node.type === 'function' && node.arguments?.length === 1 && PASS_THROUGH.has(String(node.procedure?.value)) && !node.predicate) {
    return invertiblePath(node.arguments[0]!);
  }
  if (node.type === 'condition' && node.condition && node.then) {
    const test = node.condition;
    const then = invertiblePath(node.then);
    if (test.type === 'function' && test.procedure?.value === 'exists' && test.arguments?.length === 1 && then) {
      const tested = simplePath(test.arguments[0]!);
      if (tested && tested.join('.') === then.join('.')) return then;
    }
  }
  return undefined;
}

function describe(node: AstNode): string {
  if (node.type === 'function' && node.procedure) return `a call to $${String(node.procedure.value)}`;
  return `a ${node.type} expression`;
}

function read(record: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = record;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Put `value` at `path` in `raw`. A JSONata path maps over arrays (`labels.name` of a list of
 * labels is a list of names), so an array value under a multi-step path becomes a list of objects.
 */
function assign(raw: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    raw[head] = value;
    return;
  }
  if (Array.isArray(value)) {
    const existing = Array.isArray(raw[head]) ? (raw[head] as Record<string, unknown>[]) : [];
    raw[head] = value.map((item, index) => {
      const target = existing[index] && typeof existing[index] === 'object' ? existing[index] : {};
      assign(target, rest, item);
      return target;
    });
    return;
  }
  const next = raw[head];
  const target = next && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  raw[head] = target;
  assign(target, rest, value);
}

/**
 * A value shaped like an object-constructor expression's result, every leaf set to `leaf`
 * (`{ 'branch': { 'repo': x, 'ref': y } }` → `{ branch: { repo: leaf, ref: leaf } }`).
 */
export function shapeOf(source: string, leaf: unknown): Record<string, unknown> | undefined {
  let root: AstNode;
  try {
    root = parseAst(source);
  } catch {
    return undefined;
  }
  const build = (node: AstNode): unknown => {
    if (node.type !== 'unary' || node.value !== '{' || !Array.isArray(node.lhs)) return leaf;
    return Object.fromEntries(node.lhs.map(([k, v]) => [String(k.value), build(v)]));
  };
  const shape = build(root);
  return shape && typeof shape === 'object' ? (shape as Record<string, unknown>) : undefined;
}
