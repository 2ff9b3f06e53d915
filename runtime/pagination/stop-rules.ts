import { compileExpression } from '../expressions/index.js';
import { ConnectorError } from '../errors/index.js';
import type { PageContext, PagePatch, PaginationKind, Paginator, PaginatorWhere } from './paginator.js';
import type { PaginationNode } from './schema.js';

type StopRules = Partial<{ max_pages: number; page_size: number; stop_on_empty_page: boolean; has_more: string }>;

/**
 * Wraps a pagination kind with the rules every kind shares, in this order: empty page, short page,
 * `has_more` false, then the kind's own "no next token"; a token seen before is a loop (an error,
 * never a silent stop) and `max_pages` is a hard cap (an error: data would be missing).
 */
export function withStopRules(node: PaginationNode, kind: PaginationKind, where: PaginatorWhere): Paginator {
  const rules = node as StopRules;
  const hasMore = rules.has_more === undefined ? undefined : compileExpression(rules.has_more);
  const pageSize = rules.page_size ?? kind.pageSize;
  const seen = new Set<string>();
  let pages = 0;
  const partition = where.partition === undefined ? '' : ` partition ${where.partition}`;
  return {
    first: () => kind.first(),
    async next(context: PageContext): Promise<PagePatch | null> {
      pages += 1;
      if (context.response.ignored) return null;
      if (context.recordCount === 0 && rules.stop_on_empty_page !== false) return null;
      if (pageSize !== undefined && context.recordCount < pageSize) return null;
      if (hasMore) {
        const more = await hasMore.evaluate({ response: context.response.body, headers: context.response.headers }, {
          response: context.response.body,
          headers: context.response.headers,
        });
        if (!more) return null;
      }
      const step = await kind.step(context, pages);
      if (!step) return null;
      if (seen.has(step.key)) {
        throw new ConnectorError('PAGINATION_LOOP', `stream ${where.stream}${partition}: the API returned the next-page token ${JSON.stringify(step.key)} twice (after page ${pages})`, {
          hint: 'Check the pagination token expression; the API may ignore the injected parameter.',
          location: where.location,
          context: { stream: where.stream, partition: where.partition, token: step.key },
        });
      }
      seen.add(step.key);
      if (rules.max_pages !== undefined && pages >= rules.max_pages) {
        throw new ConnectorError('PAGINATION_MAX_PAGES', `stream ${where.stream}${partition}: reached max_pages (${rules.max_pages}) with more pages left`, {
          hint: 'Raise pagination.max_pages if the data really is that large.',
          location: where.location,
          context: { stream: where.stream, partition: where.partition, max_pages: rules.max_pages },
        });
      }
      return step.patch;
    },
  };
}
