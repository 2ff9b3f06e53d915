import { ConnectorError } from '../errors/index.js';
import { compileExpression, type Expression } from './expression.js';

/** Variables a template or expression may use: `config`, `partition`, `state`, `cursor`, `page`, `response`, `headers`, `status`, `now`... */
export type Scope = Readonly<Record<string, unknown>>;

/**
 * A string that may hold `{{ expr }}` parts. A string that is exactly one `{{ expr }}` renders to the
 * expression's value with its type kept (number, array, object): templates never turn a number into
 * a string behind the user's back. Mixed text renders to a string; an `undefined` part renders empty.
 */
export interface Template {
  readonly source: string;
  /** True when the string holds no `{{ }}`: `render` always returns the source. */
  readonly isConstant: boolean;
  render(scope: Scope): Promise<unknown>;
}

type Part = string | Expression;

const cache = new Map<string, Template>();

export function compileTemplate(source: string): Template {
  const cached = cache.get(source);
  if (cached) return cached;
  const parts = parseTemplate(source);
  const template = buildTemplate(source, parts);
  cache.set(source, template);
  return template;
}

/** True when `value` contains a `{{ }}` part. */
export function isTemplate(value: string): boolean {
  return value.includes('{{');
}

function buildTemplate(source: string, parts: Part[]): Template {
  if (parts.length === 0) return { source, isConstant: true, render: async () => '' };
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const text = parts[0];
    return { source, isConstant: true, render: async () => text };
  }
  if (parts.length === 1) {
    const only = parts[0] as Expression;
    return { source, isConstant: false, render: (scope) => only.evaluate(scope, scope) };
  }
  return {
    source,
    isConstant: false,
    async render(scope) {
      let out = '';
      for (const part of parts) {
        if (typeof part === 'string') out += part;
        else out += templateText(await part.evaluate(scope, scope));
      }
      return out;
    },
  };
}

/** How a `{{ }}` part reads inside text: empty for nothing, objects and lists as JSON. */
export function templateText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Split a template into literal text and compiled expressions. */
function parseTemplate(source: string): Part[] {
  return splitTemplate(source).map((part) => (typeof part === 'string' ? part : compileExpression(part.expression)));
}

/**
 * A template's literal text and the sources of its `{{ }}` expressions, in order (for code that
 * evaluates a subset of templates itself, e.g. webhook keys). Braces inside an expression nest.
 */
export function splitTemplate(source: string): Array<string | { expression: string }> {
  const parts: Array<string | { expression: string }> = [];
  let index = 0;
  while (index < source.length) {
    const open = source.indexOf('{{', index);
    if (open === -1) {
      parts.push(source.slice(index));
      break;
    }
    if (open > index) parts.push(source.slice(index, open));
    const close = findClose(source, open + 2);
    if (close === -1) {
      throw new ConnectorError('MANIFEST_EXPRESSION', `unclosed "{{" in template ${JSON.stringify(source)}`, {
        hint: 'Close the expression with "}}".',
      });
    }
    const body = source.slice(open + 2, close).trim();
    if (body === '') {
      throw new ConnectorError('MANIFEST_EXPRESSION', `empty "{{ }}" in template ${JSON.stringify(source)}`, {
        hint: 'Put a JSONata expression between the braces, e.g. "{{ config.token }}".',
      });
    }
    parts.push({ expression: body });
    index = close + 2;
  }
  return parts;
}

function findClose(source: string, from: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0 && source[i + 1] === '}') return i;
      if (depth > 0) depth--;
    }
  }
  return -1;
}
