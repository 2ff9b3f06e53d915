import jsonata from 'jsonata';

/** A node of a parsed JSONata expression (`jsonata(source).ast()`): only what walkers read is typed. */
export interface JsonataNode { type?: string; value?: unknown; steps?: JsonataNode[]; lhs?: JsonataNode; rhs?: JsonataNode; [key: string]: unknown }

/** The parsed tree of a JSONata expression (the tree it evaluates), or undefined when it does not parse. */
export function parseJsonata(source: string): JsonataNode | undefined {
  try {
    return jsonata(source).ast() as JsonataNode;
  } catch {
    return undefined;
  }
}

/**
 * Calls `visit` on every node of a parsed JSONata expression, depth first, each node once (JSONata's
 * tree may share nodes); a node `visit` returns false for is not descended into. `visit` may replace
 * the node's children: the walk reads them after it returns.
 */
export function walkJsonata(node: JsonataNode, visit: (node: JsonataNode) => boolean, seen = new Set<object>()): void {
  if (seen.has(node)) return;
  seen.add(node);
  if (!visit(node)) return;
  for (const value of Object.values(node)) {
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof child === 'object') walkJsonata(child as JsonataNode, visit, seen);
    }
  }
}
