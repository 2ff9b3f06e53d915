import { schema as githubSchema } from '@octokit/graphql-schema';
import { buildSchema, execute, parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Json } from './examples.js';
import type { Budget } from './budget.js';
import type { RepoData } from './data.js';

let cached: GraphQLSchema | undefined;

/** GitHub's published GraphQL schema (@octokit/graphql-schema), built once per process (~0.3 s). */
export function githubGraphQLSchema(): GraphQLSchema {
  cached ??= buildSchema(githubSchema.idl, { assumeValidSDL: true });
  return cached;
}

/** Parse and validate a query against GitHub's schema; the errors are GitHub-like error objects. */
export function validateGitHubQuery(query: string): { document?: DocumentNode; errors: readonly GraphQLError[] } {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return { errors: [error as GraphQLError] };
  }
  return { document, errors: validate(githubGraphQLSchema(), document) };
}


/**
 * Answers a query by executing it against GitHub's real schema with resolvers over the fake data, so
 * the response has exactly the shape the query asks for. Connections page with opaque cursors.
 */
export async function answerGraphQL(
  body: { query?: string; variables?: Record<string, unknown>; operationName?: string },
  repos: Map<string, RepoData>,
  budget: Budget,
): Promise<{ data?: unknown; errors?: unknown[] }> {
  const { document, errors } = validateGitHubQuery(body.query ?? '');
  if (!document || errors.length > 0) {
    return { errors: errors.map((e) => ({ message: e.message, locations: e.locations, extensions: { code: 'graphqlParseError' } })) };
  }
  const cost = 1;
  budget.remaining = Math.max(0, budget.remaining - cost);
  const rootValue = {
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo = repos.get(`${owner}/${name}`);
      return repo ? repositoryNode(repo) : null;
    },
    rateLimit: () => ({ cost, limit: budget.limit, remaining: budget.remaining, resetAt: new Date(budget.reset * 1000).toISOString(), used: budget.limit - budget.remaining, nodeCount: 0 }),
  };
  const result = await execute({
    schema: githubGraphQLSchema(),
    document,
    rootValue,
    variableValues: body.variables ?? {},
    operationName: body.operationName ?? null,
  });
  const out: { data?: unknown; errors?: unknown[] } = { data: result.data ?? null };
  if (result.errors) {
    out.errors = result.errors.map((e) => ({ type: 'NOT_FOUND', message: e.message, path: e.path, locations: e.locations }));
  }
  return out;
}

interface ConnectionArgs {
  first?: number;
  after?: string;
  orderBy?: { field: string; direction: 'ASC' | 'DESC' };
}

/** A relay connection over a list: cursors are base64 offsets, like GitHub's opaque ones. Only the page is turned into nodes. */
function connection<T>(items: readonly T[], args: ConnectionArgs, toNode: (item: T) => unknown = (item) => item): Json {
  const start = args.after ? Number(Buffer.from(args.after, 'base64').toString('utf8').replace('cursor:', '')) : 0;
  const first = Math.min(args.first ?? 100, 100);
  const slice = items.slice(start, start + first).map(toNode);
  const cursorAt = (i: number) => Buffer.from(`cursor:${i}`).toString('base64');
  return {
    totalCount: items.length,
    nodes: slice,
    edges: slice.map((node, i) => ({ node, cursor: cursorAt(start + i + 1) })),
    pageInfo: {
      hasNextPage: start + first < items.length,
      hasPreviousPage: start > 0,
      startCursor: slice.length ? cursorAt(start + 1) : null,
      endCursor: slice.length ? cursorAt(start + slice.length) : null,
    },
  };
}

const user = (login: unknown) => ({ __typename: 'User', login: String(login ?? 'ghost') });

function repositoryNode(repo: RepoData): Json {
  return {
    __typename: 'Repository',
    id: repo.repository.node_id,
    name: repo.repository.name,
    nameWithOwner: repo.repository.full_name,
    pullRequests: (args: ConnectionArgs) => {
      const field = args.orderBy?.field === 'CREATED_AT' ? 'created_at' : 'updated_at';
      const sign = args.orderBy?.direction === 'DESC' ? -1 : 1;
      const key = (pr: Json) => String(pr[field]);
      const sorted = [...repo.pulls].sort((a, b) => sign * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : Number(a.number) - Number(b.number)));
      return connection(sorted, args, (pr) => pullRequestNode(repo, pr));
    },
  };
}

function pullRequestNode(repo: RepoData, pr: Json): Json {
  const number = Number(pr.number);
  const reviews = repo.reviews.get(number) ?? [];
  const files = [1, 2].map((n) => ({ __typename: 'PullRequestChangedFile', path: `src/file-${number}-${n}.ts`, additions: n * 3, deletions: n, changeType: n === 1 ? 'MODIFIED' : 'ADDED' }));
  const labels = ((pr.labels as Json[] | undefined) ?? []).map((l) => ({ __typename: 'Label', name: l.name, color: l.color, id: l.node_id }));
  return {
    __typename: 'PullRequest',
    id: pr.node_id,
    databaseId: pr.id,
    number,
    title: pr.title,
    state: pr.merged_at ? 'MERGED' : String(pr.state).toUpperCase(),
    isDraft: Boolean(pr.draft),
    createdAt: pr.created_at,
    updatedAt: pr.updated_at,
    mergedAt: pr.merged_at,
    closedAt: pr.closed_at,
    url: pr.html_url,
    author: user((pr.user as Json | undefined)?.login),
    labels: (args: ConnectionArgs) => connection(labels, args),
    files: (args: ConnectionArgs) => connection(files, args),
    reviews: (args: ConnectionArgs) =>
      connection(
        reviews.map((r) => ({ __typename: 'PullRequestReview', id: r.node_id, databaseId: r.id, state: r.state, submittedAt: r.submitted_at, author: user((r.user as Json | undefined)?.login), body: r.body })),
        args,
      ),
  };
}
