import type { PaginationFactory } from './paginator.js';

/** `type: page_number`: page=start, start+1...; a page shorter than `size` is the last. */
export const createPageNumberPaginator: PaginationFactory<'page_number'> = (node) => {
  const at = (page: number) => [
    { into: node.page_param.into, name: node.page_param.name, value: page },
    ...(node.size_param && node.size !== undefined ? [{ into: node.size_param.into, name: node.size_param.name, value: node.size }] : []),
  ];
  return {
    ...(node.size === undefined ? {} : { pageSize: node.size }),
    first: () => ({ inject: at(node.start) }),
    async step(_context, pageIndex) {
      const page = node.start + pageIndex;
      return { key: String(page), patch: { inject: at(page) } };
    },
  };
};
