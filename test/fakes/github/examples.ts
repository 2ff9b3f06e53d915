import { createRequire } from 'node:module';

/**
 * Example objects from GitHub's official OpenAPI description (@octokit/openapi, api.github.com).
 * The fake server clones them and overrides ids, numbers and dates, so every record it serves has the
 * documented shape (every key GitHub documents, nested objects included).
 */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation | undefined>>;
  components: {
    parameters: Record<string, OpenApiParameter>;
    examples: Record<string, { value: unknown }>;
  };
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
}

export interface OpenApiOperation {
  operationId: string;
  parameters?: Array<OpenApiParameter | { $ref: string }>;
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}

const require = createRequire(import.meta.url);
let cached: OpenApiDocument | undefined;

/** The api.github.com description (13 MB, loaded once per process). */
export function openApi(): OpenApiDocument {
  cached ??= require('@octokit/openapi/generated/api.github.com.json') as OpenApiDocument;
  return cached;
}

export type Json = Record<string, unknown>;

/** A deep copy of the first item of a named example (the example may be a list or one object). */
export function example(name: string): Json {
  const value = openApi().components.examples[name]?.value;
  if (value === undefined) throw new Error(`@octokit/openapi has no example "${name}"`);
  const first = Array.isArray(value) ? value[0] : value;
  return structuredClone(first) as Json;
}

/** The examples the fake server builds its records from, by record kind. */
export const EXAMPLE_NAMES = {
  fullRepository: 'full-repository-default-response',
  minimalRepository: 'minimal-repository-items',
  pullRequest: 'pull-request-simple-items',
  issue: 'issue-items',
  issueComment: 'issue-comment-items',
  review: 'pull-request-review-items',
  reviewComment: 'pull-request-review-comment-items',
  commit: 'commit-items',
  workflowRuns: 'workflow-run-paginated',
  checkRuns: 'check-run-paginated',
  status: 'status-items',
  user: 'private-user',
} as const;

/** Templates, one deep copy each (cloned again per record). */
export function loadTemplates(): Record<keyof typeof EXAMPLE_NAMES, Json> {
  const out = {} as Record<keyof typeof EXAMPLE_NAMES, Json>;
  for (const [kind, name] of Object.entries(EXAMPLE_NAMES)) out[kind as keyof typeof EXAMPLE_NAMES] = example(name);
  // The paginated examples wrap their items: keep one item.
  out.workflowRuns = (out.workflowRuns.workflow_runs as Json[])[0] as Json;
  out.checkRuns = (out.checkRuns.check_runs as Json[])[0] as Json;
  conformToSchemas(out);
  return out;
}

/**
 * A few of GitHub's own examples omit properties their schemas require (found by
 * test/fakes/github/fake.test.ts); fill them in so every served record validates.
 */
function conformToSchemas(templates: Record<keyof typeof EXAMPLE_NAMES, Json>): void {
  for (const repo of [templates.fullRepository, templates.fullRepository.source, templates.fullRepository.parent] as Array<Json | undefined>) {
    if (repo && !('language' in repo)) repo.language = null;
  }
  for (const team of (templates.pullRequest.requested_teams as Json[] | undefined) ?? []) team.type ??= 'organization';
}
