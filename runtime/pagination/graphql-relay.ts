import { compileExpression } from '../expressions/index.js';
import type { PaginationFactory } from './paginator.js';

/** `type: graphql_relay`: `pageInfo { hasNextPage endCursor }`; endCursor goes to `cursor_variable`. */
export const createGraphQLRelayPaginator: PaginationFactory<'graphql_relay'> = (node) => {
  const pageInfo = compileExpression(node.page_info);
  return {
    first: () => null,
    async step({ response }) {
      const scope = { response: response.body, headers: response.headers };
      const info = (await pageInfo.evaluate(scope, scope)) as { hasNextPage?: unknown; endCursor?: unknown } | undefined;
      if (!info || info.hasNextPage !== true || info.endCursor === undefined || info.endCursor === null) return null;
      const key = String(info.endCursor);
      return { key, patch: { inject: [{ into: 'variable', name: node.cursor_variable, value: info.endCursor }] } };
    },
  };
};
