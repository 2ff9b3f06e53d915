import { createCursorPaginator } from './cursor.js';
import { createGraphQLRelayPaginator } from './graphql-relay.js';
import { createLinkHeaderPaginator } from './link-header.js';
import { createNextUrlPaginator } from './next-url.js';
import { createNoPagination } from './none.js';
import { createOffsetPaginator } from './offset.js';
import { createPageNumberPaginator } from './page-number.js';
import type { PaginationFactory, Paginator, PaginatorWhere } from './paginator.js';
import type { PaginationNode, PaginationNodeOf, PaginationType } from './schema.js';
import { withStopRules } from './stop-rules.js';

/** One factory per `pagination.type`: a type in the schema without a factory does not compile. */
export const paginationFactories: { [K in PaginationType]: PaginationFactory<K> } = {
  none: createNoPagination,
  link_header: createLinkHeaderPaginator,
  cursor: createCursorPaginator,
  offset: createOffsetPaginator,
  page_number: createPageNumberPaginator,
  next_url: createNextUrlPaginator,
  graphql_relay: createGraphQLRelayPaginator,
};

/** A fresh paginator for one partition (no `pagination` means one request). */
export function createPaginator(node: PaginationNode | undefined, where: PaginatorWhere): Paginator {
  const resolved: PaginationNode = node ?? { type: 'none' };
  const factory = paginationFactories[resolved.type] as PaginationFactory<PaginationType>;
  return withStopRules(resolved, factory(resolved as PaginationNodeOf<PaginationType>), where);
}

export { applyPatch, injectValue } from './inject.js';
export { findLink } from './link-header.js';
export type { InjectedValue, PageContext, PagePatch, Paginator, PaginatorWhere } from './paginator.js';
