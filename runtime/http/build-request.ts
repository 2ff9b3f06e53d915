import { compileTemplate, isTemplate, type Scope } from '../expressions/index.js';
import type { RequestNode, RequesterNode } from './schema.js';
import type { PreparedRequest } from './types.js';

type TemplateValue = string | number | boolean;

/**
 * Render a manifest request into a request ready to send (auth is applied later, per attempt).
 *
 * - URL: `url_base` + `path`; a `path` that renders to a full URL wins (next-page links). With
 *   `urlBaseOverride` (cassettes, simulated APIs) the base is replaced, also at the front of full URLs.
 * - params/headers: requester-level first, then request-level; a value rendering to undefined, null or
 *   '' drops the key (also one set at requester level). Numbers and booleans are stringified.
 * - body: rendered deeply; a string that is exactly one `{{ }}` keeps its value type.
 * - graphql: a POST of `{ query, variables, operationName }`; the query text is never templated.
 */
export async function buildRequest(
  requester: RequesterNode,
  request: RequestNode,
  scope: Scope,
  urlBaseOverride?: string,
): Promise<PreparedRequest> {
  const renderedBase = toText(await renderValue(requester.url_base, scope));
  const path = toText(await renderValue(request.path, scope));
  const url = joinUrl(renderedBase, path, urlBaseOverride);

  const params = await renderMaps([requester.params, request.params], scope);
  const headers = await renderMaps([requester.headers, request.headers], scope);

  const prepared: PreparedRequest = { method: request.method ?? 'GET', url, params, headers, scope };
  if (request.graphql) {
    const { query, variables, operation_name } = request.graphql;
    const body: Record<string, unknown> = { query };
    if (variables) body.variables = await renderDeep(variables, scope);
    if (operation_name) body.operationName = operation_name;
    prepared.method = 'POST';
    prepared.body = body;
    prepared.graphql = true;
  } else if (request.body !== undefined) {
    prepared.body = await renderDeep(request.body, scope);
  }
  return prepared;
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

function joinUrl(base: string, path: string, override: string | undefined): string {
  if (ABSOLUTE.test(path)) {
    // A full URL from the API (a next link) keeps pointing at the override when one is set.
    if (override && base && path.startsWith(trimEnd(base))) return trimEnd(override) + path.slice(trimEnd(base).length);
    return path;
  }
  const root = trimEnd(override ?? base);
  if (path === '') return root;
  return `${root}/${path.replace(/^\/+/, '')}`;
}

function trimEnd(url: string): string {
  return url.replace(/\/+$/, '');
}

async function renderMaps(maps: ReadonlyArray<Readonly<Record<string, TemplateValue>> | undefined>, scope: Scope): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const map of maps) {
    if (!map) continue;
    for (const [key, raw] of Object.entries(map)) {
      const value = await renderValue(raw, scope);
      if (value === undefined || value === null || value === '') delete out[key];
      else out[key] = toText(value);
    }
  }
  return out;
}

async function renderValue(value: TemplateValue, scope: Scope): Promise<unknown> {
  if (typeof value !== 'string' || !isTemplate(value)) return value;
  return compileTemplate(value).render(scope);
}

/** Render every templated string inside a JSON value; other values are kept as they are. */
export async function renderDeep(value: unknown, scope: Scope): Promise<unknown> {
  if (typeof value === 'string') return isTemplate(value) ? compileTemplate(value).render(scope) : value;
  if (Array.isArray(value)) return Promise.all(value.map((item) => renderDeep(item, scope)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const rendered = await renderDeep(item, scope);
      if (rendered !== undefined) out[key] = rendered;
    }
    return out;
  }
  return value;
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // Arrays in a query parameter: the common comma-separated form (e.g. `labels=a,b`).
  if (Array.isArray(value)) return value.map(toText).join(',');
  return JSON.stringify(value);
}
