import { openApi, type OpenApiOperation, type OpenApiParameter } from '../fakes/github/examples.js';

/** An operation of GitHub's OpenAPI description that a concrete request matched. */
export interface MatchedOperation {
  template: string;
  operationId: string;
  queryParams: ReadonlySet<string>;
  /** The 200 response declares a `Link` header: GitHub pages it (next links add `page`). */
  paged: boolean;
}

interface CompiledPath {
  template: string;
  pattern: RegExp;
  /** Fewer `{param}` segments = more specific (`/pulls/comments` beats `/pulls/{pull_number}`). */
  variables: number;
}

let compiled: CompiledPath[] | undefined;

function paths(): CompiledPath[] {
  compiled ??= Object.keys(openApi().paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}|\{[^}]+\}/g, '[^/]+')}$`),
    variables: (template.match(/\{[^}]+\}/g) ?? []).length,
  }));
  return compiled;
}

function resolveParameter(parameter: OpenApiParameter | { $ref: string }): OpenApiParameter {
  if (!('$ref' in parameter)) return parameter;
  const name = parameter.$ref.split('/').pop() ?? '';
  const resolved = openApi().components.parameters[name];
  if (!resolved) throw new Error(`unresolved OpenAPI parameter ${parameter.$ref}`);
  return resolved;
}

/** The operation a request (method + path, no query) is for, or undefined when GitHub documents none. */
export function matchOperation(method: string, path: string): MatchedOperation | undefined {
  const candidates = paths()
    .filter((p) => p.pattern.test(path))
    .sort((a, b) => a.variables - b.variables);
  for (const candidate of candidates) {
    const operation: OpenApiOperation | undefined = openApi().paths[candidate.template]?.[method.toLowerCase()];
    if (!operation) continue;
    const queryParams = new Set((operation.parameters ?? []).map(resolveParameter).filter((p) => p.in === 'query').map((p) => p.name));
    const ok = operation.responses?.['200'] as { headers?: Record<string, unknown> } | undefined;
    return { template: candidate.template, operationId: operation.operationId, queryParams, paged: ok?.headers?.Link !== undefined };
  }
  return undefined;
}

/** Problems with one request against the description: unknown path/method, undeclared query params. */
export function requestProblems(method: string, path: string, query: readonly string[]): string[] {
  const operation = matchOperation(method, path);
  if (!operation) return [`${method} ${path} is not an operation of api.github.com`];
  return query
    .filter((name) => !operation.queryParams.has(name))
    .map((name) => `${method} ${path} (${operation.operationId}): query parameter "${name}" is not declared; declared: ${[...operation.queryParams].join(', ')}`);
}
