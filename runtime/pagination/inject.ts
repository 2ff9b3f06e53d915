import type { PreparedRequest } from '../http/types.js';
import type { InjectedValue, PagePatch } from './paginator.js';

/**
 * Apply a page patch to the FIRST request of a partition, giving the next request. The base request
 * is never mutated. `variable` goes to `body.variables[name]` (GraphQL); `body` to a top-level field.
 */
export function applyPatch(base: PreparedRequest, patch: PagePatch | null): PreparedRequest {
  if (!patch) return base;
  const next: PreparedRequest = { ...base, params: { ...base.params }, headers: { ...base.headers } };
  if (patch.url !== undefined) {
    next.url = patch.url;
    if (patch.replaceQuery) next.params = {};
  }
  for (const value of patch.inject ?? []) injectValue(next, value);
  return next;
}

/** Put one value into a request (mutates `request`; callers pass a copy). */
export function injectValue(request: PreparedRequest, { into, name, value }: InjectedValue): void {
  switch (into) {
    case 'param':
      if (value === undefined || value === null || value === '') delete request.params[name];
      else request.params[name] = typeof value === 'string' ? value : String(value);
      return;
    case 'header':
      request.headers[name] = String(value);
      return;
    case 'body':
      request.body = { ...asObject(request.body), [name]: value };
      return;
    case 'variable': {
      const body = asObject(request.body);
      request.body = { ...body, variables: { ...asObject(body.variables), [name]: value } };
      return;
    }
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
