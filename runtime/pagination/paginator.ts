import type { SourceLocation } from '../errors/index.js';
import type { HttpResponse, PreparedRequest } from '../http/types.js';
import type { InjectionNode, PaginationNodeOf, PaginationType } from './schema.js';

/** A value to put into the next request (page token, offset, page number...). */
export interface InjectedValue {
  into: InjectionNode['into'];
  name: string;
  value: unknown;
}

/**
 * How to turn the first request of a partition into the next one. `url` replaces the request URL
 * (and, with `replaceQuery`, drops its params: the next URL carries its own query string).
 */
export interface PagePatch {
  url?: string;
  replaceQuery?: boolean;
  inject?: InjectedValue[];
}

/** What a paginator sees after each page. */
export interface PageContext {
  request: PreparedRequest;
  response: HttpResponse;
  /** Records selected from the page, before `filter` (a filtered page is not a short page). */
  recordCount: number;
}

/**
 * A paginator walks the pages of ONE partition: create a fresh one per partition (it remembers the
 * tokens it has seen and the pages it has counted).
 */
export interface Paginator {
  /** Patch for the first request (offset 0, page 1...), or null to send it as built. */
  first(): PagePatch | null;
  /** Patch for the next request, or null when this page was the last one. */
  next(context: PageContext): Promise<PagePatch | null>;
}

/** Where a paginator runs, for error messages. */
export interface PaginatorWhere {
  stream: string;
  /** The partition as JSON, or undefined for an unpartitioned stream. */
  partition?: string;
  /** The manifest location of the `pagination` node, when known. */
  location?: SourceLocation;
}

/**
 * What a pagination kind decides after a page: the next token (used for loop detection and to build
 * the patch) or null when the response says there is no next page. Shared stop rules run around it.
 */
export interface PageStep {
  /** Identifies the next page: a repeated key is a loop. */
  key: string;
  patch: PagePatch;
}

export interface PaginationKind {
  first(): PagePatch | null;
  step(context: PageContext, pageIndex: number): Promise<PageStep | null>;
  /** The short-page threshold (page_size, limit or size). */
  pageSize?: number;
}

export type PaginationFactory<K extends PaginationType> = (node: PaginationNodeOf<K>) => PaginationKind;
