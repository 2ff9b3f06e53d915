/**
 * PROTOTYPE for runtime/records (kept in bench/ so the bench can measure it; not used by the engine):
 * most `map` expressions are an object of plain paths, `{ "id": id, "user": user.login, "repo":
 * $partition.repo }`. Such a map can run as plain JavaScript with exactly JSONata's result, as long as
 * no array is met on the way (JSONata flattens arrays along a path; then this returns `undefined` and
 * the caller evaluates the real expression for that record).
 */
import jsonata from 'jsonata';

/** A JSONata AST node: only the fields this prototype reads. */
interface AstNode {
  type: string;
  value?: unknown;
  steps?: AstNode[];
  lhs?: [AstNode, AstNode][];
  [other: string]: unknown;
}

type Getter = (record: unknown, bindings: Readonly<Record<string, unknown>>) => unknown;
/** Maps one record; `undefined` means "not simple for this record: evaluate the JSONata expression". */
export type SimpleMap = (record: unknown, bindings: Readonly<Record<string, unknown>>) => Record<string, unknown> | undefined;

const ARRAY = Symbol('array on the path');
const PLAIN_STEP_KEYS = new Set(['type', 'value', 'position']);

/** A fast mapper for `source`, or `undefined` when the expression is not an object of plain paths. */
export function compileSimpleMap(source: string): SimpleMap | undefined {
  const ast = jsonata(source).ast() as AstNode;
  if (ast.type !== 'unary' || ast.value !== '{' || !Array.isArray(ast.lhs) || Object.keys(ast).some((k) => !['type', 'value', 'position', 'lhs'].includes(k))) return undefined;
  const fields: [string, Getter][] = [];
  for (const [key, value] of ast.lhs) {
    if (key.type !== 'string' || typeof key.value !== 'string' || fields.some(([k]) => k === key.value)) return undefined;
    const getter = compileGetter(value);
    if (!getter) return undefined;
    fields.push([key.value, getter]);
  }
  return (record, bindings) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
    const out: Record<string, unknown> = {};
    for (const [key, get] of fields) {
      const value = get(record, bindings);
      if (value === ARRAY) return undefined;
      if (value !== undefined) out[key] = value;
    }
    return out;
  };
}

function compileGetter(node: AstNode): Getter | undefined {
  if (node.type === 'string' || node.type === 'number' || node.type === 'value') {
    const constant = node.value;
    return () => constant;
  }
  const steps = node.type === 'variable' ? [node] : node.type === 'path' && Object.keys(node).every((k) => k === 'type' || k === 'steps') ? node.steps : undefined;
  if (!steps?.length || steps.some((s) => Object.keys(s).some((k) => !PLAIN_STEP_KEYS.has(k)))) return undefined;
  const [first, ...rest] = steps as [AstNode, ...AstNode[]];
  if (rest.some((s) => s.type !== 'name' || typeof s.value !== 'string')) return undefined;
  const names = rest.map((s) => s.value as string);
  let start: Getter;
  if (first.type === 'name' && typeof first.value === 'string') {
    const name = first.value;
    start = (record) => (record as Record<string, unknown>)[name];
  } else if (first.type === 'variable' && typeof first.value === 'string' && first.value !== '') {
    const name = first.value;
    start = (_record, bindings) => bindings[name];
  } else {
    return undefined;
  }
  return (record, bindings) => {
    let value = start(record, bindings);
    for (const name of names) {
      if (Array.isArray(value)) return ARRAY;
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[name];
    }
    return Array.isArray(value) ? ARRAY : value;
  };
}
