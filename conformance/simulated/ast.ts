import jsonata from 'jsonata';

/** The parts of JSONata's AST the simulator reads (jsonata types `ast()` loosely). */
export interface AstNode {
  type: string;
  value?: unknown;
  steps?: AstNode[];
  lhs?: Array<[AstNode, AstNode]> | AstNode;
  rhs?: AstNode;
  expressions?: AstNode[];
  arguments?: AstNode[];
  procedure?: AstNode;
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  stages?: unknown[];
  predicate?: unknown[];
  group?: unknown;
  keepArray?: boolean;
}

export function parseAst(source: string): AstNode {
  return jsonata(source).ast() as unknown as AstNode;
}

/**
 * A path of plain field names ("data.items" → ["data","items"]; "$" → []), or undefined for anything
 * else (functions, predicates, variables other than the context `$`).
 */
export function simplePath(node: AstNode): string[] | undefined {
  if (node.type === 'variable' && node.value === '' && !node.predicate && !node.stages) return [];
  if (node.type === 'name' && !node.stages && !node.predicate && !node.group) return [String(node.value)];
  if (node.type === 'path' && node.steps) {
    const names: string[] = [];
    for (const [index, step] of node.steps.entries()) {
      if (index === 0 && step.type === 'variable' && step.value === '') continue;
      if (step.type !== 'name' || step.stages || step.predicate || step.group) return undefined;
      names.push(String(step.value));
    }
    return names;
  }
  return undefined;
}

/** A simple path read from an expression source, e.g. "response.meta.next" → ["response","meta","next"]. */
export function simplePathOf(source: string): string[] | undefined {
  try {
    return simplePath(parseAst(source));
  } catch {
    return undefined;
  }
}

/** `$name.a.b` → { variable: "name", path: ["a","b"] }. */
export function variablePath(node: AstNode): { variable: string; path: string[] } | undefined {
  if (node.type === 'variable' && typeof node.value === 'string' && node.value !== '') return { variable: node.value, path: [] };
  if (node.type !== 'path' || !node.steps?.length) return undefined;
  const [first, ...rest] = node.steps;
  if (first?.type !== 'variable' || !first.value) return undefined;
  if (rest.some((s) => s.type !== 'name' || s.predicate || s.stages)) return undefined;
  return { variable: String(first.value), path: rest.map((s) => String(s.value)) };
}

export function getPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Set a nested field, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = target;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      current[key] = value;
      return;
    }
    const next = current[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
}
