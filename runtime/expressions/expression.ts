import jsonata from 'jsonata';
import { ConnectorError } from '../errors/index.js';

/** A compiled JSONata expression. Compile once at load time, evaluate many times. */
export interface Expression {
  readonly source: string;
  /** Evaluate against `input`; every key of `bindings` is available as `$key`. */
  evaluate(input: unknown, bindings?: Readonly<Record<string, unknown>>): Promise<unknown>;
}

const cache = new Map<string, Expression>();

interface JsonataError { message?: string; position?: number; token?: string; code?: string }

/** Compile a bare JSONata expression (used by `records`, `map`, `filter`, `when`...). Cached by source. */
export function compileExpression(source: string): Expression {
  const cached = cache.get(source);
  if (cached) return cached;
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(source);
  } catch (error) {
    const e = error as JsonataError;
    const at = e.position === undefined ? '' : ` at character ${e.position}`;
    throw new ConnectorError('MANIFEST_EXPRESSION', `invalid JSONata expression ${JSON.stringify(source)}: ${e.message ?? String(error)}${at}`, {
      hint: 'Fix the expression (JSONata syntax: https://docs.jsonata.org).',
      cause: error,
    });
  }
  const expression: Expression = {
    source,
    async evaluate(input, bindings) {
      try {
        return normalise(await compiled.evaluate(input, bindings as Record<string, unknown> | undefined));
      } catch (error) {
        const e = error as JsonataError;
        throw new ConnectorError('EXPRESSION_EVALUATION', `expression ${JSON.stringify(source)} failed: ${e.message ?? String(error)}`, { cause: error });
      }
    },
  };
  cache.set(source, expression);
  return expression;
}

/**
 * JSONata returns sequences (arrays with a `sequence` flag) and may return `undefined` for "no match".
 * Callers get plain values: arrays stay arrays, nothing is `undefined`.
 */
function normalise(value: unknown): unknown {
  if (Array.isArray(value) && (value as { sequence?: boolean }).sequence) return Array.from(value);
  return value;
}
