import jsonata from 'jsonata';
import { compileExpression } from '../expressions/index.js';
import { splitObjectFields } from './split-object.js';

/**
 * A native evaluator for the commonest shapes of `records` and `map`: paths of plain field names
 * (`data.items`, `$partition.repo`), array constructors of such paths (`[labels.name]`), literals,
 * and object constructors of those. An object constructor whose other fields need JSONata
 * (`$lowercase(state)`) evaluates those fields one by one with JSONata and the rest natively.
 * JSONata costs ~15 µs per call and ~10 µs per field of a map; a native field costs well under
 * 1 µs, so mapping stops being the bottleneck of a sync (see docs/performance.md).
 *
 * It returns FALLBACK whenever the data leaves the subset whose meaning it reproduces exactly (an
 * array in the middle of a plain path, where JSONata would map and flatten): the caller then
 * evaluates the whole JSONata expression, so results are always JSONata's.
 */
export const FALLBACK: unique symbol = Symbol('fallback');
type Bindings = Readonly<Record<string, unknown>>;
export type FastEvaluator = (input: unknown, bindings: Bindings) => unknown;

interface AstNode {
  type: string;
  value?: unknown;
  steps?: AstNode[];
  lhs?: unknown;
  expressions?: AstNode[];
  arguments?: AstNode[];
  procedure?: AstNode;
  [key: string]: unknown;
}

/** Keys a plain AST node may carry; anything else (predicates, stages, focus, grouping) is out of the subset. */
const PLAIN_KEYS = new Set(['type', 'value', 'position', 'steps', 'lhs', 'expressions', 'arguments', 'procedure']);

export function compileFast(source: string): FastEvaluator | undefined {
  let ast: AstNode;
  try {
    ast = jsonata(source).ast() as AstNode;
  } catch {
    return undefined;
  }
  if (ast.type === 'unary' && ast.value === '{' && isPlain(ast)) return compileObject(ast.lhs, source);
  return compileNode(ast);
}

function isPlain(node: AstNode): boolean {
  return Object.keys(node).every((key) => PLAIN_KEYS.has(key) || node[key] === undefined);
}

function compileNode(node: AstNode): FastEvaluator | undefined {
  if (!isPlain(node)) return undefined;
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      const value = node.value;
      return () => value;
    }
    case 'variable':
      // `$` is the input; other variables alone are left to JSONata.
      return node.value === '' ? (input) => input : undefined;
    case 'path': {
      const path = compilePath(node.steps ?? []);
      return path && ((input, bindings) => followSingle(path.root(input, bindings), path.names));
    }
    case 'unary': {
      if (node.value !== '[' || node.expressions?.length !== 1) return undefined;
      const inner = node.expressions[0]!;
      if (inner.type !== 'path' || !isPlain(inner)) return undefined;
      const path = compilePath(inner.steps ?? []);
      return path && ((input, bindings) => followFlat(path.root(input, bindings), path.names));
    }
    case 'function':
      return compileCall(node);
    default:
      return undefined;
  }
}

/** One-argument built-ins whose meaning is simple and exact: `$exists`, `$not`, `$boolean`, `$lowercase`, `$uppercase`. */
const BUILTINS: Record<string, (value: unknown) => unknown> = {
  exists: (value) => value !== undefined,
  not: (value) => (value === undefined ? undefined : !truthy(value)),
  boolean: (value) => (value === undefined ? undefined : truthy(value)),
  // A non-string is a JSONata type error: let JSONata raise it.
  lowercase: (value) => (value === undefined ? undefined : typeof value === 'string' ? value.toLowerCase() : FALLBACK),
  uppercase: (value) => (value === undefined ? undefined : typeof value === 'string' ? value.toUpperCase() : FALLBACK),
};

function compileCall(node: AstNode): FastEvaluator | undefined {
  const procedure = node.procedure;
  if (node.value !== '(' || !procedure || !isPlain(procedure) || procedure.type !== 'variable' || typeof procedure.value !== 'string') return undefined;
  const builtin = Object.hasOwn(BUILTINS, procedure.value) ? BUILTINS[procedure.value] : undefined;
  if (!builtin || node.arguments?.length !== 1) return undefined;
  const argument = compileNode(node.arguments[0]!);
  if (!argument) return undefined;
  return (input, bindings) => {
    const value = argument(input, bindings);
    return value === FALLBACK ? FALLBACK : builtin(value);
  };
}

/** JSONata's boolean cast ($boolean): arrays are true when any member is, objects when not empty. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return value === true;
}

interface CompiledPath {
  root: (input: unknown, bindings: Bindings) => unknown;
  names: string[];
}

function compilePath(steps: AstNode[]): CompiledPath | undefined {
  if (steps.length === 0 || !steps.every(isPlain)) return undefined;
  const [head, ...rest] = steps;
  if (!head) return undefined;
  let root: CompiledPath['root'];
  const names: string[] = [];
  if (head.type === 'variable' && typeof head.value === 'string') {
    const variable = head.value;
    root = variable === '' ? (input) => input : (_input, bindings) => bindings[variable];
  } else if (head.type === 'name' && typeof head.value === 'string') {
    root = (input) => input;
    names.push(head.value);
  } else return undefined;
  for (const step of rest) {
    if (step.type !== 'name' || typeof step.value !== 'string') return undefined;
    names.push(step.value);
  }
  return { root, names };
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

/** A plain path: the value as it is in the input; an array before the last step is JSONata's business. */
function followSingle(start: unknown, names: readonly string[]): unknown {
  let current = start;
  for (const name of names) {
    if (current === undefined || current === null) return undefined;
    if (Array.isArray(current)) return FALLBACK;
    current = field(current, name);
  }
  return current;
}

/** `[a.b.c]`: every value the path reaches, arrays flattened one level per step, always an array. */
function followFlat(start: unknown, names: readonly string[]): unknown {
  if (Array.isArray(start)) return FALLBACK;
  let sequence: unknown[] = start === undefined ? [] : [start];
  for (const name of names) {
    const next: unknown[] = [];
    for (const item of sequence) {
      if (Array.isArray(item)) return FALLBACK; // nested arrays: JSONata flattens deeper
      const value = field(item, name);
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const element of value) next.push(element);
      else next.push(value);
    }
    sequence = next;
  }
  for (const item of sequence) if (Array.isArray(item)) return FALLBACK;
  return sequence;
}

/**
 * `{ "k": expr, ... }`: native fields natively; other fields through JSONata one at a time, when
 * the object's source splits into fields whose ASTs match the whole parse exactly.
 */
function compileObject(lhs: unknown, source: string): FastEvaluator | undefined {
  if (!Array.isArray(lhs)) return undefined;
  const pairs = lhs as unknown[];
  const keys: string[] = [];
  const natives: Array<FastEvaluator | undefined> = [];
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [key, value] = pair as [AstNode, AstNode];
    if (key.type !== 'string' || typeof key.value !== 'string' || keys.includes(key.value)) return undefined;
    keys.push(key.value);
    natives.push(compileNode(value));
  }
  const slow = natives.some((native) => !native);
  const fields: Array<{ key: string; native?: FastEvaluator; expression?: ReturnType<typeof compileExpression> }> = [];
  if (slow) {
    const split = splitObjectFields(source, pairs.map((pair) => stripPositions((pair as [AstNode, AstNode])[1])));
    if (!split) return undefined;
    for (let i = 0; i < keys.length; i++) {
      const native = natives[i];
      fields.push(native ? { key: keys[i]!, native } : { key: keys[i]!, expression: compileExpression(split[i]!) });
    }
  } else {
    for (let i = 0; i < keys.length; i++) fields.push({ key: keys[i]!, native: natives[i]! });
  }
  if (!slow) {
    return (input, bindings) => {
      // JSONata maps an object constructor over an array input: leave that to JSONata.
      if (Array.isArray(input)) return FALLBACK;
      const out: Record<string, unknown> = {};
      for (const { key, native } of fields) {
        const value = native!(input, bindings);
        if (value === FALLBACK) return FALLBACK;
        if (value !== undefined) out[key] = value;
      }
      return out;
    };
  }
  return (input, bindings) => {
    if (Array.isArray(input)) return FALLBACK;
    const values: unknown[] = [];
    // Native fields first: a FALLBACK must not leave JSONata evaluations running unobserved.
    for (const { native } of fields) {
      const value = native ? native(input, bindings) : undefined;
      if (value === FALLBACK) return FALLBACK;
      values.push(value);
    }
    fields.forEach(({ expression }, i) => {
      if (expression) values[i] = expression.evaluate(input, bindings);
    });
    return Promise.all(values).then((resolved) => {
      const out: Record<string, unknown> = {};
      resolved.forEach((value, i) => {
        if (value !== undefined) out[fields[i]!.key] = value;
      });
      return out;
    });
  };
}

/** An AST without `position` keys, for comparing the parse of a field alone with its parse in the whole. */
export function stripPositions(node: unknown): string {
  return JSON.stringify(node, (key, value: unknown) => (key === 'position' ? undefined : value));
}
