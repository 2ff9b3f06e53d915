import { tokenLocation } from './token-location.js';
import { pageSizeOf, readInjected, type PagerFactory } from './types.js';

/** Opaque tokens `sim-<index>` written where `token` reads them, read back where `inject` puts them. */
export const simulateCursor: PagerFactory<'cursor'> = (node) => {
  const put = tokenLocation(node.token);
  if (!put) return { skip: `pagination.token "${node.token}" is not a plain path over response or headers` };
  const size = pageSizeOf(node);
  return {
    pageSize: size,
    position: (request) => ({ start: Number((readInjected(request, node.inject) ?? 'sim-0').replace(/^sim-/, '')) || 0, size }),
    extras: (_request, next) => put(next === undefined ? null : `sim-${next}`),
  };
};
