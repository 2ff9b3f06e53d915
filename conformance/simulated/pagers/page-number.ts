import { DEFAULT_PAGE_SIZE, readInjected, type PagerFactory } from './types.js';

export const simulatePageNumber: PagerFactory<'page_number'> = (node) => {
  const declared = node.size ?? node.page_size ?? DEFAULT_PAGE_SIZE;
  const first = node.start ?? 1;
  return {
    pageSize: declared,
    position: (request) => {
      const size = node.size_param ? Number(readInjected(request, node.size_param) ?? declared) || declared : declared;
      const page = Number(readInjected(request, node.page_param) ?? first);
      return { start: (page - first) * size, size };
    },
    extras: () => ({ headers: {}, fields: [] }),
  };
};
