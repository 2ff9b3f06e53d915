import jsonata from 'jsonata';
import { parseJsonata, splitTemplate, templateText, walkJsonata, type JsonataNode, type Scope } from '../expressions/index.js';

type Native = (scope: Scope) => unknown;
const FALLBACK: unique symbol = Symbol('fallback');
/** A part of a joined key that the request does not have: the whole key is then missing. */
const MISSING: unique symbol = Symbol('missing');

type Node = JsonataNode;

const cache = new Map<string, (scope: Scope) => Promise<unknown>>();

/**
 * `delivery_id` and `event` run on every webhook request. Their usual shapes — a path
 * (headers.`x-github-event`, body.event_id) or paths and string literals joined with `&` — are
 * evaluated natively (about 1 µs instead of ~25 µs for JSONata); anything else, or data outside
 * that subset (an array on the path), goes through JSONata, so results are JSONata's with one
 * exception, on both ways: a key joined from parts is missing (undefined) when a part it reads is
 * absent or empty, where JSONata would join an empty string ("hook:" for a missing hook id). A dedupe
 * key with a hole in it would merge unrelated deliveries, so such a request is refused as having no key.
 */
export function compileKeyTemplate(source: string): (scope: Scope) => Promise<unknown> {
  const cached = cache.get(source);
  if (cached) return cached;
  const strict = compileStrict(source);
  const native = compileNative(source)?.render;
  const render = native
    ? (scope: Scope) => {
        const value = native(scope);
        return value === FALLBACK ? strict(scope) : Promise.resolve(value === MISSING ? undefined : value);
      }
    : strict;
  cache.set(source, render);
  return render;
}

/** Thrown by a part of a joined key that renders nothing: the whole key is missing. */
class MissingPart extends Error {}
/** The function each operand of `&` is wrapped in, bound under this name (no manifest can bind `$`-names). */
const PART = '__gwi_key_part';
const requirePart = (value: unknown) => {
  if (value === undefined || value === null || value === '') throw new MissingPart();
  return value;
};

/**
 * The template through JSONata, with the native subset's rule: every operand of `&` (other than a
 * string literal), at any depth (inside a condition, a function's arguments), and every `{{ }}` of
 * mixed text, must render something, or the key is missing. The operands are wrapped in a bound
 * function by rewriting the parsed expression: JSONata has no hook on its operators, and its `ast()`
 * is the tree it evaluates.
 */
function compileStrict(source: string): (scope: Scope) => Promise<unknown> {
  const parts = splitTemplate(source).map((part) => {
    if (typeof part === 'string') return part;
    const expression = jsonata(part.expression);
    requireJoinedParts(expression.ast() as Node);
    return expression;
  });
  const evaluate = async (expression: jsonata.Expression, scope: Scope) => {
    const value: unknown = await expression.evaluate(scope, { ...scope, [PART]: requirePart });
    return Array.isArray(value) && (value as { sequence?: boolean }).sequence ? Array.from(value) : value;
  };
  return async (scope) => {
    try {
      if (parts.length === 1 && typeof parts[0] !== 'string') return await evaluate(parts[0]!, scope);
      let out = '';
      for (const part of parts) out += typeof part === 'string' ? part : templateText(requirePart(await evaluate(part, scope)));
      return out;
    } catch (error) {
      if (error instanceof MissingPart) return undefined;
      throw error;
    }
  };
}

function requireJoinedParts(ast: Node): void {
  walkJsonata(ast, (node) => {
    if (node.type !== 'binary' || node.value !== '&') return true;
    for (const side of ['lhs', 'rhs'] as const) {
      const operand = node[side];
      if (operand && operand.type !== 'string' && !(operand.type === 'binary' && operand.value === '&')) {
        node[side] = { type: 'function', value: '(', position: operand['position'], arguments: [operand], procedure: { type: 'variable', value: PART, position: operand['position'] } };
      }
    }
    return true;
  });
}

/**
 * A template rendered from the request headers alone, synchronously (ingest runs it on every request,
 * before the store's round trip): `{ value }` (undefined for a missing header), or undefined when the
 * template needs more than the native subset (not headers-only, or a path into a header's text).
 */
export function renderHeadersKey(source: string, headers: Readonly<Record<string, string>>): { value: unknown } | undefined {
  const native = compileNative(source);
  if (!native?.headersOnly) return undefined;
  const value = native.render({ headers });
  return value === FALLBACK ? undefined : { value: value === MISSING ? undefined : value };
}

/**
 * Whether a key template can be rendered from the request headers alone (paths under `headers` and
 * string literals): then the body need not be parsed before the delivery is stored. Anything the
 * native subset does not cover counts as reading the body.
 */
export function readsHeadersOnly(source: string): boolean {
  return compileNative(source)?.headersOnly ?? false;
}

function roots(node: Node): string[] {
  if (node.type === 'string') return [];
  if (node.type === 'name') return [String(node.value)];
  if (node.type === 'path') return [String(node.steps![0]!.value)];
  return [...roots(node.lhs!), ...roots(node.rhs!)];
}


/** A template in the native subset: its renderer, and whether it reads nothing but headers. Compiled once per source. */
interface NativeTemplate { render: Native; headersOnly: boolean }
const natives = new Map<string, NativeTemplate | null>();
function compileNative(source: string): NativeTemplate | undefined {
  let native = natives.get(source);
  if (native === undefined) {
    native = compileParts(source) ?? null;
    natives.set(source, native);
  }
  return native ?? undefined;
}

/**
 * One `{{ expr }}` keeps its value (a path alone may give a number); literal text around or between
 * expressions joins them as `&` does, each expression a part that must be present.
 */
function compileParts(source: string): NativeTemplate | undefined {
  let parts: ReturnType<typeof splitTemplate>;
  try {
    parts = splitTemplate(source);
  } catch {
    return undefined;
  }
  const nodes = parts.map((p) => (typeof p === 'string' ? ({ type: 'string', value: p } as Node) : parseJsonata(p.expression)));
  if (nodes.length === 0 || nodes.some((n) => n === undefined)) return undefined;
  const asts = nodes as Node[];
  const renders = asts.length === 1 ? [compileNode(asts[0]!)] : asts.map(part);
  if (renders.some((r) => r === undefined)) return undefined;
  const render = (renders as Native[]).reduce((left, right) => concat(left, right));
  return { render, headersOnly: asts.flatMap(roots).every((root) => root === 'headers') };
}

function compileNode(node: Node): Native | undefined {
  if (node.type === 'string') return () => node.value;
  if (node.type === 'name') return path([String(node.value)]);
  // Plain steps only: a group-by (`body{...}`) or any other operator on the path is JSONata's.
  const plain = (n: Node, keys: readonly string[]) => Object.keys(n).every((k) => keys.includes(k));
  if (node.type === 'path' && plain(node, ['type', 'steps']) && node.steps?.every((s) => s.type === 'name' && plain(s, ['type', 'value', 'position']))) {
    return path(node.steps.map((s) => String(s.value)));
  }
  if (node.type === 'binary' && node.value === '&' && node.lhs && node.rhs) {
    const left = part(node.lhs);
    const right = part(node.rhs);
    return left && right && concat(left, right);
  }
  return undefined;
}

/** `left & right` as JSONata joins them, except that a MISSING part makes the whole MISSING. */
function concat(left: Native, right: Native): Native {
  return (scope) => {
    const a = text(left(scope));
    const b = text(right(scope));
    if (a === FALLBACK || b === FALLBACK) return FALLBACK;
    return a === MISSING || b === MISSING ? MISSING : a + b;
  };
}

/** An operand of `&`: a path that renders nothing (absent, null or empty text) makes the joined key MISSING. */
function part(node: Node): Native | undefined {
  const render = compileNode(node);
  if (!render || node.type === 'string' || node.type === 'binary') return render;
  return (scope) => {
    const value = render(scope);
    return value === undefined || value === null || value === '' ? MISSING : value;
  };
}

function path(names: string[]): Native {
  return (scope) => {
    let value: unknown = scope;
    for (const name of names) {
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'object' || Array.isArray(value)) return FALLBACK;
      value = (value as Record<string, unknown>)[name];
    }
    return Array.isArray(value) ? FALLBACK : value;
  };
}

/** JSONata's `&` casts with $string: undefined is empty; only strings and safe integers are reproduced here. */
function text(value: unknown): string | typeof FALLBACK | typeof MISSING {
  if (value === FALLBACK || value === MISSING) return value;
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return FALLBACK;
}
