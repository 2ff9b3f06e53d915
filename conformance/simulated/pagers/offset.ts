import { readInjected, type PagerFactory } from './types.js';

export const simulateOffset: PagerFactory<'offset'> = (node) => ({
  pageSize: node.limit,
  position: (request) => {
    const limit = node.limit_param ? Number(readInjected(request, node.limit_param) ?? node.limit) : node.limit;
    return { start: Number(readInjected(request, node.offset_param) ?? node.start ?? 0) - (node.start ?? 0), size: limit || node.limit };
  },
  extras: () => ({ headers: {}, fields: [] }),
});
