import jsonata from 'jsonata';

/**
 * Split the source of a JSONata object constructor `{ "a": x, "b": y }` into its value sources
 * ["x", "y"], so fields can be evaluated one by one. The split is trusted only when each value,
 * parsed alone, has exactly the AST it has in the whole expression (`expected`, positions
 * stripped); otherwise undefined. Values that assign variables (`:=`) are refused: a later field
 * could depend on them.
 */
export function splitObjectFields(source: string, expected: readonly string[]): string[] | undefined {
  const text = source.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  const pieces = splitTopLevel(text.slice(1, -1), ',');
  if (!pieces || pieces.length !== expected.length) return undefined;
  const values: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const parts = splitTopLevel(pieces[i]!, ':', 1);
    if (!parts || parts.length !== 2) return undefined;
    const value = parts[1]!.trim();
    if (value.includes(':=')) return undefined;
    let ast: unknown;
    try {
      ast = jsonata(value).ast();
    } catch {
      return undefined;
    }
    if (JSON.stringify(ast, (key, v: unknown) => (key === 'position' ? undefined : v)) !== expected[i]) return undefined;
    values.push(value);
  }
  return values;
}

/** Split at `separator` outside strings, comments and brackets; at most `limit` splits. */
function splitTopLevel(text: string, separator: string, limit = Infinity): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let splits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const end = closeQuote(text, i);
      if (end === -1) return undefined;
      i = end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) return undefined;
      i = end + 1;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === separator && depth === 0 && splits < limit) {
      out.push(text.slice(start, i));
      start = i + 1;
      splits++;
    }
    if (depth < 0) return undefined;
  }
  out.push(text.slice(start));
  return out;
}

function closeQuote(text: string, open: number): number {
  const quote = text[open];
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\' && quote !== '`') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}
