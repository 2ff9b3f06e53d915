import type { InjectionNode, PaginationNodeOf, PaginationType } from '../../../runtime/pagination/schema.js';

/** A request to the simulated API, parsed once. */
export interface SimRequest {
  path: string;
  query: Map<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body (GraphQL: `{ query, variables }`). */
  body: Record<string, unknown> | undefined;
  origin: string;
}

/** Response parts that tell the client where the next page is. */
export interface PageExtras {
  headers: Record<string, string>;
  /** Body fields as [path, value]: the paginator's token/next/pageInfo location. */
  fields: Array<[string[], unknown]>;
}

/** Serves one pagination rule: which slice a request asks for, and how to point at the next one. */
export interface SimPager {
  /** Records per page that the client expects (page_size, limit...). */
  readonly pageSize: number;
  position(request: SimRequest): { start: number; size: number };
  /** `next` is the first record index of the next page, or undefined on the last page. */
  extras(request: SimRequest, next: number | undefined): PageExtras;
}

export type PagerFactory<K extends PaginationType> = (node: PaginationNodeOf<K>) => SimPager | { skip: string };

export const DEFAULT_PAGE_SIZE = 5;

/** Read an injected value (page token, offset...) back from a request. */
export function readInjected(request: SimRequest, injection: InjectionNode): string | undefined {
  switch (injection.into) {
    case 'param':
      return request.query.get(injection.name);
    case 'header':
      return request.headers[injection.name.toLowerCase()];
    case 'body':
      return stringOrUndefined(request.body?.[injection.name]);
    case 'variable':
      return stringOrUndefined((request.body?.variables as Record<string, unknown> | undefined)?.[injection.name]);
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

/** The request's own URL with one query parameter set (next links, next URLs). */
export function selfUrl(request: SimRequest, name: string, value: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of request.query) if (k !== name) params.append(k, v);
  params.set(name, value);
  return `${request.origin}${request.path}?${params.toString()}`;
}

export const NO_EXTRAS: PageExtras = { headers: {}, fields: [] };

/** A page size from the manifest's stop rules, or the simulator's default. */
export function pageSizeOf(node: { page_size?: number | undefined }): number {
  return node.page_size ?? DEFAULT_PAGE_SIZE;
}
