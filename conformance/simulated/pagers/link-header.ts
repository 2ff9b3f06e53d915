import { pageSizeOf, selfUrl, type PagerFactory } from './types.js';

/** Our own page parameter: the client follows the Link header verbatim and never builds it. */
const PARAM = 'sim_start';

export const simulateLinkHeader: PagerFactory<'link_header'> = (node) => {
  const size = pageSizeOf(node);
  return {
    pageSize: size,
    position: (request) => ({ start: Number(request.query.get(PARAM) ?? 0), size }),
    extras: (request, next) => {
      const headers: Record<string, string> = {};
      if (next !== undefined) headers.link = `<${selfUrl(request, PARAM, String(next))}>; rel="${node.rel ?? 'next'}"`;
      return { headers, fields: [] };
    },
  };
};
