import type { PaginationFactory } from './paginator.js';

/** `type: link_header`: follow the RFC 8288 `Link` header's `rel` (default `next`), as GitHub and GitLab send it. */
export const createLinkHeaderPaginator: PaginationFactory<'link_header'> = (node) => ({
  first: () => null,
  async step({ response }) {
    const url = findLink(response.headers.link, node.rel);
    return url ? { key: url, patch: { url, replaceQuery: true } } : null;
  },
});

/** The target of the first link with relation `rel` in a `Link` header value. */
export function findLink(header: string | undefined, rel: string): string | undefined {
  if (!header) return undefined;
  // `<url>; rel="next", <url>; rel="last"`; rel may list several relations ("next last").
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = match[2] ?? '';
    const relMatch = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(params);
    if (relMatch?.[1]?.split(/\s+/).includes(rel)) return match[1];
  }
  return undefined;
}
