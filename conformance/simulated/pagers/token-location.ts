import { simplePathOf } from '../ast.js';
import type { PageExtras } from './types.js';

/**
 * Where an expression over `response`/`headers` reads a value ("response.meta.next_cursor",
 * "headers.`x-next`"), so the simulator can put the value there. Undefined when not a plain path.
 */
export function tokenLocation(source: string): ((value: unknown) => PageExtras) | undefined {
  const path = simplePathOf(source);
  if (!path || path.length < 2) return undefined;
  const [root, ...rest] = path;
  if (root === 'response') return (value) => ({ headers: {}, fields: [[rest, value]] });
  if (root === 'headers' && rest.length === 1) {
    return (value) => ({ headers: value === undefined || value === null ? {} : { [rest[0]!.toLowerCase()]: String(value) }, fields: [] });
  }
  return undefined;
}
