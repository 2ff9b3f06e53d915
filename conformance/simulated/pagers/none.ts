import type { PagerFactory } from './types.js';

/** No pagination: everything in one response. */
export const simulateNone: PagerFactory<'none'> = () => ({
  pageSize: Number.POSITIVE_INFINITY,
  position: () => ({ start: 0, size: Number.POSITIVE_INFINITY }),
  extras: () => ({ headers: {}, fields: [] }),
});
