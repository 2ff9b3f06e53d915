import type { PaginationFactory } from './paginator.js';

/** `type: none`: one request per partition. */
export const createNoPagination: PaginationFactory<'none'> = () => ({
  first: () => null,
  step: async () => null,
});
