import jsonata from 'jsonata';

/**
 * A native evaluator for the commonest shapes of `records` and `map`: a path of plain field names
 * (`data.items`, `$partition.repo`) and an object constructor of such paths and literals
 * (`{ "id": id, "user": user.login, "repo": $partition.repo }`). JSONata costs ~15 µs per record;
 * this costs well under 1 µs, so mapping stops being the bottleneck of a sync (see docs/performance.md).
 *
 * It returns FALLBACK whenever the data leaves the subset whose meaning it reproduces exactly (an
 * array in the middle of a path, where JSONata would map and flatten): the caller then evaluates
 * the real JSONata expression, so results are always JSONata's.
 */
export const FALLBACK: unique symbol = Symbol('fallback');
export type FastEvaluator = (input: unknown, bindings: Readonly<Record<string, unknown>>) => unknown | typeof FALLBACK;

interface AstNode {
  type: string;
  value?: unknown;
  steps?: AstNode[];
  lhs?: unknown;
  [key: string]: unknown;
}

/** Keys a plain AST node may carry; anything else (predicates, stages, focus, grouping) is out of the subset. */
const PLAIN_KEYS = new Set(['type', 'value', 'position', 'steps', 'lhs']);

export function compileFast(source: string): FastEvaluator | undefined {
  let ast: AstNode;
  try {
    ast = jsonata(source).ast() as AstNode;
  } catch {
    return undefined;
  }
  return compileNode(ast);
}

function isPlain(node: AstNode): boolean {
  return Object.keys(node).every((key) => PLAIN_KEYS.has(key));
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
      // `$` is the input; other variables are bindings (`$partition`).
      return node.value === '' ? (input) => input : undefined;
    case 'path':
      return compilePath(node.steps ?? []);
    case 'unary':
      return node.value === '{' ? compileObject(node.lhs) : undefined;
    default:
      return undefined;
  }
}

function compilePath(steps: AstNode[]): FastEvaluator | undefined {
  if (steps.length === 0 || !steps.every(isPlain)) return undefined;
  const [head, ...rest] = steps;
  if (!head) return undefined;
  let root: FastEvaluator;
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
  return (input, bindings) => {
    let current = root(input, bindings);
    for (const name of names) {
      if (current === undefined || current === null) return undefined;
      if (Array.isArray(current)) return FALLBACK;
      if (typeof current !== 'object') return undefined;
      current = Object.hasOwn(current, name) ? (current as Record<string, unknown>)[name] : undefined;
    }
    return current;
  };
}

function compileObject(lhs: unknown): FastEvaluator | undefined {
  if (!Array.isArray(lhs)) return undefined;
  const fields: Array<[string, FastEvaluator]> = [];
  const seen = new Set<string>();
  for (const pair of lhs as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [key, value] = pair as [AstNode, AstNode];
    if (key.type !== 'string' || typeof key.value !== 'string' || seen.has(key.value)) return undefined;
    const evaluate = compileNode(value);
    if (!evaluate) return undefined;
    seen.add(key.value);
    fields.push([key.value, evaluate]);
  }
  return (input, bindings) => {
    // JSONata maps an object constructor over an array input: leave that to JSONata.
    if (Array.isArray(input)) return FALLBACK;
    const out: Record<string, unknown> = {};
    for (const [key, evaluate] of fields) {
      const value = evaluate(input, bindings);
      if (value === FALLBACK) return FALLBACK;
      if (value !== undefined) out[key] = value;
    }
    return out;
  };
}
