import { compileExpression } from '../expressions/index.js';
import type { PaginationFactory } from './paginator.js';

/** `type: next_url`: the body (or a header) names the full URL of the next page. */
export const createNextUrlPaginator: PaginationFactory<'next_url'> = (node) => {
  const url = compileExpression(node.url);
  return {
    first: () => null,
    async step({ request, response }) {
      const scope = { response: response.body, headers: response.headers };
      const value = await url.evaluate(scope, scope);
      if (typeof value !== 'string' || value === '') return null;
      // A relative next URL resolves against the URL that answered.
      const absolute = new URL(value, response.url || request.url).toString();
      return { key: absolute, patch: { url: absolute, replaceQuery: true } };
    },
  };
};
