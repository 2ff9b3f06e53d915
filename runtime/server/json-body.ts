import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A refused body (400 by default, 415 for a type that is not JSON); the error handler sends `message` and `hint` (see app.ts). */
export class BodyError extends Error {
  constructor(message: string, readonly hint: string, readonly statusCode = 400, readonly code = 'BAD_REQUEST') {
    super(message);
  }
}

const JSON_HINT = 'Send a JSON object with Content-Type: application/json.';

/** Whether the request's route is marked TAKES_NO_BODY. */
const takesNoBody = (request: FastifyRequest) => (request.routeOptions.config as { takesNoBody?: boolean }).takesNoBody === true;

/** The refusal of a body sent to a route that takes none: it would be ignored, e.g. `{"full": true}` to sync. */
const noBodyError = (request: FastifyRequest) =>
  new BodyError(`${request.method} ${request.routeOptions.url ?? request.url} takes no body`, 'Send the request without a body (an empty body is accepted, also with Content-Type: application/json).');

/**
 * Route config of a POST that takes no body (sync, replay): clients that always send
 * `Content-Type: application/json` may send it with an empty body there.
 */
export const TAKES_NO_BODY = { takesNoBody: true } as const;

/**
 * The admin API's only body parser: JSON, whose syntax errors say where (JSON.parse's message has the
 * position; Fastify's own parser drops it). Any other content type is refused with 415 by Fastify
 * (FST_ERR_CTP_INVALID_MEDIA_TYPE, worded in app.ts) instead of reaching a route as a string.
 */
export function acceptJsonOnly(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return takesNoBody(request) ? done(null, undefined) : done(new BodyError('the body is empty', JSON_HINT), undefined);
    if (takesNoBody(request)) return done(noBodyError(request), undefined);
    try {
      done(null, JSON.parse(text, refusePrototypeKeys));
    } catch (error) {
      if (error instanceof BodyError) return done(error, undefined);
      done(new BodyError(`the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, JSON_HINT), undefined);
    }
  });
  // Any other type, or a body without one: 415, unread. A route that takes no body accepts an empty
  // one of any type and refuses any other as a body, not as its type.
  scope.addContentTypeParser('*', (request, _payload, done) => {
    if (!takesNoBody(request)) return done(unsupportedType(request.headers['content-type']), undefined);
    // HTTP/1.1: no Content-Length and no Transfer-Encoding is no body (as Fastify reads it without a type).
    const length = request.headers['content-length'];
    const empty = request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
    return empty ? done(null, undefined) : done(noBodyError(request), undefined);
  });
}

/** The 415 of a body that is not JSON: here, and for a Content-Type Fastify cannot parse (app.ts). */
export const UNSUPPORTED_TYPE_HINT = 'Send Content-Type: application/json with a JSON body.';
export const unsupportedTypeMessage = (contentType: string | undefined) => `Content-Type ${contentType ? JSON.stringify(contentType) : '(none)'} is not accepted here`;

function unsupportedType(contentType: string | undefined): BodyError {
  return new BodyError(unsupportedTypeMessage(contentType), UNSUPPORTED_TYPE_HINT, 415, 'UNSUPPORTED_MEDIA_TYPE');
}

/** What Fastify's parser refuses too (protoAction/constructorAction 'error'): keys that could poison prototypes. */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value)) {
    throw new BodyError(`the body has a key ${JSON.stringify(key)}, which is not accepted`, 'Remove the key.');
  }
  return value;
}
