import type { FastifyInstance } from 'fastify';

/** A 400 for a body that is not JSON; the error handler sends `message` and `hint` (see app.ts). */
export class BodyError extends Error {
  readonly statusCode = 400;
  readonly code = 'BAD_REQUEST';
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

const JSON_HINT = 'Send a JSON object with Content-Type: application/json.';

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
    if (text.trim() === '') {
      const optional = (request.routeOptions.config as { takesNoBody?: boolean }).takesNoBody === true;
      return optional ? done(null, undefined) : done(new BodyError('the body is empty', JSON_HINT), undefined);
    }
    try {
      done(null, JSON.parse(text, refusePrototypeKeys));
    } catch (error) {
      if (error instanceof BodyError) return done(error, undefined);
      done(new BodyError(`the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, JSON_HINT), undefined);
    }
  });
}

/** What Fastify's parser refuses too (protoAction/constructorAction 'error'): keys that could poison prototypes. */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value)) {
    throw new BodyError(`the body has a key ${JSON.stringify(key)}, which is not accepted`, 'Remove the key.');
  }
  return value;
}
