import type { PaginationType } from '../../../runtime/pagination/schema.js';
import { simulateCursor } from './cursor.js';
import { simulateGraphqlRelay } from './graphql-relay.js';
import { simulateLinkHeader } from './link-header.js';
import { simulateNextUrl } from './next-url.js';
import { simulateNone } from './none.js';
import { simulateOffset } from './offset.js';
import { simulatePageNumber } from './page-number.js';
import type { PagerFactory } from './types.js';

/** One simulated server per pagination type: a new type in the schema without one fails to compile. */
export const PAGERS: { [K in PaginationType]: PagerFactory<K> } = {
  none: simulateNone,
  link_header: simulateLinkHeader,
  cursor: simulateCursor,
  offset: simulateOffset,
  page_number: simulatePageNumber,
  next_url: simulateNextUrl,
  graphql_relay: simulateGraphqlRelay,
};

export type { PageExtras, SimPager, SimRequest } from './types.js';
