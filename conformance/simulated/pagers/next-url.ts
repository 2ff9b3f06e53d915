import { tokenLocation } from './token-location.js';
import { pageSizeOf, selfUrl, type PagerFactory } from './types.js';

const PARAM = 'sim_start';

export const simulateNextUrl: PagerFactory<'next_url'> = (node) => {
  const put = tokenLocation(node.url);
  if (!put) return { skip: `pagination.url "${node.url}" is not a plain path over response or headers` };
  const size = pageSizeOf(node);
  return {
    pageSize: size,
    position: (request) => ({ start: Number(request.query.get(PARAM) ?? 0), size }),
    extras: (request, next) => put(next === undefined ? null : selfUrl(request, PARAM, String(next))),
  };
};
