import { simplePathOf } from '../ast.js';
import { pageSizeOf, type PagerFactory } from './types.js';

export const simulateGraphqlRelay: PagerFactory<'graphql_relay'> = (node) => {
  const path = simplePathOf(node.page_info);
  if (!path || path[0] !== 'response') return { skip: `pagination.page_info "${node.page_info}" is not a plain path over response` };
  const size = pageSizeOf(node);
  const variable = node.cursor_variable ?? 'after';
  return {
    pageSize: size,
    position: (request) => {
      const cursor = (request.body?.variables as Record<string, unknown> | undefined)?.[variable];
      return { start: typeof cursor === 'string' ? Number(cursor.replace(/^sim-/, '')) || 0 : 0, size };
    },
    extras: (_request, next) => ({
      headers: {},
      fields: [[path.slice(1), { hasNextPage: next !== undefined, endCursor: next === undefined ? null : `sim-${next}` }]],
    }),
  };
};
