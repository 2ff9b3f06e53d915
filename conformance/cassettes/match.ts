import type { LocalRequest } from '../server/serve.js';
import type { Interaction, RecordedRequest } from './format.js';

/** Query parameters as sorted `name=value` pairs, so that parameter order never matters. */
export function normaliseQuery(query: RecordedRequest['query'] | Array<[string, string]>, ignore: ReadonlySet<string> = new Set()): string[] {
  const pairs: string[] = [];
  const entries = Array.isArray(query) ? query : Object.entries(query).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as const) : [[k, v] as const]));
  for (const [name, value] of entries) if (!ignore.has(name)) pairs.push(`${name}=${value}`);
  return pairs.sort();
}

export function queryToRecord(query: Array<[string, string]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/**
 * Find the interaction recorded for a request: same method, path and query (any order) and, for
 * requests with a body (GraphQL), the same JSON body. When nothing matches exactly, a second pass
 * ignores `looseParams` (the incremental lower bound, which changes from run to run).
 */
export function findInteraction(interactions: readonly Interaction[], request: LocalRequest, looseParams: ReadonlySet<string>): Interaction | undefined {
  const body = parseBody(request.body);
  const same = (ignore: ReadonlySet<string>) => {
    const want = normaliseQuery(request.query, ignore).join('&');
    const wantBody = stableJson(withoutVariables(body, ignore));
    return interactions.find(
      (i) =>
        i.request.method.toUpperCase() === request.method.toUpperCase() &&
        i.request.path === request.path &&
        normaliseQuery(i.request.query ?? {}, ignore).join('&') === want &&
        (i.request.body === undefined || stableJson(withoutVariables(i.request.body, ignore)) === wantBody),
    );
  };
  return same(new Set()) ?? (looseParams.size > 0 ? same(looseParams) : undefined);
}

/** A GraphQL body without the loose variables (an incremental bound passed as a variable). */
function withoutVariables(body: unknown, ignore: ReadonlySet<string>): unknown {
  if (ignore.size === 0 || !body || typeof body !== 'object') return body;
  const variables = (body as { variables?: Record<string, unknown> }).variables;
  if (!variables || typeof variables !== 'object') return body;
  return { ...body, variables: Object.fromEntries(Object.entries(variables).filter(([k]) => !ignore.has(k))) };
}

function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}

/** JSON with sorted object keys, for order-insensitive comparison. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
