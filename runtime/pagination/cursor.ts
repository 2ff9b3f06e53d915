import { compileExpression } from '../expressions/index.js';
import type { PaginationFactory } from './paginator.js';

/** `type: cursor`: an opaque token from the body or headers, injected where `inject` says. */
export const createCursorPaginator: PaginationFactory<'cursor'> = (node) => {
  const token = compileExpression(node.token);
  return {
    first: () => null,
    async step({ response }) {
      const scope = { response: response.body, headers: response.headers };
      const value = await token.evaluate(scope, scope);
      if (value === undefined || value === null || value === '' || value === false) return null;
      const key = typeof value === 'string' ? value : JSON.stringify(value);
      return { key, patch: { inject: [{ into: node.inject.into, name: node.inject.name, value }] } };
    },
  };
};
