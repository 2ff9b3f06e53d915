import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { Expr, Strict } from '../manifest/schema-helpers.js';

export const Injection = Strict(
  {
    into: Type.Union([Type.Literal('param'), Type.Literal('header'), Type.Literal('body'), Type.Literal('variable')], {
      description: 'param: query parameter; header; body: a top-level JSON body field; variable: a GraphQL variable.',
    }),
    name: Type.String({ description: 'Name of the parameter, header, body field or GraphQL variable.' }),
  },
  { $id: 'Injection', description: 'Where a value (page token, offset, cursor bound) is put in the next request.' },
);

/** Stop rules every paginator shares. */
const stopRules = {
  max_pages: Type.Optional(Type.Integer({ minimum: 1, description: 'Stop (with an error) after this many pages of one partition.' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, description: 'Expected records per page: a shorter page is the last one.' })),
  stop_on_empty_page: Type.Boolean({ default: true, description: 'An empty page is the last one.' }),
  has_more: Type.Optional(Expr('Over `response` and `headers`: false means this page is the last, e.g. "response.has_more".')),
} satisfies TProperties;

const paginator = <T extends TProperties>(id: string, description: string, properties: T) =>
  Strict({ ...properties, ...stopRules }, { $id: id, description });

export const NoPagination = Strict({ type: Type.Literal('none') }, { $id: 'NoPagination', description: 'A single request.' });

export const LinkHeaderPagination = paginator('LinkHeaderPagination', 'Follow the RFC 8288 `Link` header (GitHub, GitLab).', {
  type: Type.Literal('link_header'),
  rel: Type.String({ default: 'next', description: 'The link relation to follow.' }),
});

export const CursorPagination = paginator('CursorPagination', 'An opaque token from the response, sent back in the next request.', {
  type: Type.Literal('cursor'),
  token: Expr('The next token, over `response` and `headers`, e.g. "response.response_metadata.next_cursor". Empty or missing ends paging.'),
  inject: Injection,
});

export const OffsetPagination = paginator('OffsetPagination', 'offset/limit paging.', {
  type: Type.Literal('offset'),
  limit: Type.Integer({ minimum: 1, description: 'Records per page (also the short-page threshold).' }),
  offset_param: Injection,
  limit_param: Type.Optional(Injection),
  start: Type.Integer({ minimum: 0, default: 0, description: 'The first offset.' }),
});

export const PageNumberPagination = paginator('PageNumberPagination', 'page=1,2,3... paging.', {
  type: Type.Literal('page_number'),
  page_param: Injection,
  size: Type.Optional(Type.Integer({ minimum: 1, description: 'Records per page (also the short-page threshold).' })),
  size_param: Type.Optional(Injection),
  start: Type.Integer({ minimum: 0, default: 1, description: 'The first page number.' }),
});

export const NextUrlPagination = paginator('NextUrlPagination', 'The response names the full URL of the next page.', {
  type: Type.Literal('next_url'),
  url: Expr('The next URL, over `response` and `headers`, e.g. "response.next". Empty or missing ends paging.'),
});

export const GraphQLRelayPagination = paginator('GraphQLRelayPagination', 'GraphQL connections: `pageInfo { hasNextPage endCursor }`.', {
  type: Type.Literal('graphql_relay'),
  page_info: Expr('Where pageInfo is, over `response`, e.g. "response.data.repository.pullRequests.pageInfo".'),
  cursor_variable: Type.String({ default: 'after', description: 'The GraphQL variable that receives endCursor.' }),
});

export const Pagination = Type.Union(
  [NoPagination, LinkHeaderPagination, CursorPagination, OffsetPagination, PageNumberPagination, NextUrlPagination, GraphQLRelayPagination],
  { description: 'How the next page is requested and when paging stops. A repeated token is a loop and an error.' },
);

export type InjectionNode = Static<typeof Injection>;
export type PaginationNode = Static<typeof Pagination>;
export type PaginationType = PaginationNode['type'];
export type PaginationNodeOf<K extends PaginationType> = Extract<PaginationNode, { type: K }>;
