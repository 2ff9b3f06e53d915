import { suggestion } from '../manifest/levenshtein.js';

/**
 * What is wrong with a request's query parameters, or undefined when nothing is: a parameter the
 * route does not read (a misspelt `statuss=` would otherwise return everything unfiltered), or one
 * given twice (Fastify's parser makes it an array, which no route expects).
 */
export function queryProblem(route: string, query: unknown, accepted: readonly string[]): { message: string; hint: string } | undefined {
  const hint = accepted.length > 0 ? `${route} accepts ${accepted.join(', ')}.` : `${route} takes no query parameters.`;
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (!accepted.includes(name)) return { message: `unknown query parameter ${JSON.stringify(name)}${suggestion(name, accepted)}`, hint };
    if (Array.isArray(value)) return { message: `query parameter ${name} must be given once`, hint: `Give one value, e.g. ?${name}=${encodeURIComponent(String(value[0] ?? ''))}.` };
  }
  return undefined;
}
