import { compileExpression, type Scope } from '../expressions/index.js';
import { partitionKey } from '../incremental/index.js';

/** One parent record reduced to what a child needs: the `value` output (or the record) and its key. */
export interface ReducedParent {
  item: unknown;
  /** JSON of `{ [as]: item }`, keys sorted: identifies the partition (and sizes it for a cache). */
  key: string;
}

const MAX_REMEMBERED = 50_000;

/**
 * Reduce parent records with `value` (default: the whole record), skipping null results and
 * values already seen. Only the most recent keys are remembered, so memory stays bounded on huge
 * parents; the duplicates `value` creates (many pull requests → one repository) arrive close together.
 */
export function createParentReducer(value: string | undefined, as: string, scope: Scope): (record: Record<string, unknown>) => Promise<ReducedParent | undefined> {
  const expression = value === undefined ? undefined : compileExpression(value);
  const seen = new Set<string>();
  return async (record) => {
    const item = expression ? await expression.evaluate(record, scope) : record;
    if (item === undefined || item === null) return undefined;
    const key = partitionKey({ [as]: item });
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (seen.size > MAX_REMEMBERED) seen.delete(seen.values().next().value as string);
    return { item, key };
  };
}
