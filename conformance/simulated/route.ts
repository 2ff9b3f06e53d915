import type { StreamNode } from '../../runtime/manifest/schema.js';
import type { SimRequest } from './pagers/types.js';

export interface Route {
  method: string;
  /** Matches the request path; captures are the templated parts (partition values). */
  pattern: RegExp;
  /** Literal query params the request must carry (distinguish streams on one endpoint). */
  literals: Array<[string, string]>;
  graphqlQuery?: string;
}

/** How a stream's requests are recognised: its path template with every `{{ }}` as a wildcard. */
export function routeOf(stream: StreamNode): Route | { skip: string } {
  const path = stream.request.path;
  if (/^https?:\/\//.test(path)) return { skip: `request.path "${path}" is a full URL, not a path under url_base` };
  if (path.trimStart().startsWith('{{')) return { skip: `request.path "${path}" is computed by one expression, not a path template the simulator can route` };
  let source = '';
  for (const part of path.split(/(\{\{[\s\S]*?\}\})/)) {
    source += part.startsWith('{{') ? '(.+?)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const literals: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(stream.request.params ?? {})) {
    if (typeof value !== 'string' || !value.includes('{{')) literals.push([name, String(value)]);
  }
  return {
    method: stream.request.graphql ? 'POST' : (stream.request.method ?? 'GET'),
    pattern: new RegExp(`^${source.replace(/\/$/, '')}/?$`),
    literals,
    ...(stream.request.graphql ? { graphqlQuery: stream.request.graphql.query } : {}),
  };
}

export function matchRoute(route: Route, method: string, request: SimRequest): string[] | undefined {
  if (route.method !== method.toUpperCase()) return undefined;
  const match = route.pattern.exec(safeDecode(request.path));
  if (!match) return undefined;
  if (route.graphqlQuery !== undefined && request.body?.query !== route.graphqlQuery) return undefined;
  for (const [name, value] of route.literals) if (request.query.has(name) && request.query.get(name) !== value) return undefined;
  return match.slice(1);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
