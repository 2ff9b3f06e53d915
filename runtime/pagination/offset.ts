import type { PaginationFactory } from './paginator.js';

/** `type: offset`: offset/limit; a page shorter than `limit` is the last. */
export const createOffsetPaginator: PaginationFactory<'offset'> = (node) => {
  const at = (offset: number) => [
    { into: node.offset_param.into, name: node.offset_param.name, value: offset },
    ...(node.limit_param ? [{ into: node.limit_param.into, name: node.limit_param.name, value: node.limit }] : []),
  ];
  return {
    pageSize: node.limit,
    first: () => ({ inject: at(node.start) }),
    async step(_context, pageIndex) {
      const offset = node.start + pageIndex * node.limit;
      return { key: String(offset), patch: { inject: at(offset) } };
    },
  };
};
