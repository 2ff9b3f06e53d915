import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { isConnectorError, type ErrorCode } from '../errors/index.js';
import type { Service } from '../service/index.js';
import { adminRoutes } from './admin-routes.js';
import { answerClientError } from './client-error.js';
import { closeDeadline } from './close-deadline.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.js';
import { createHttpServer, type ClosingState, type HttpServerOptions } from './http-server.js';
import { createUploads } from './in-flight.js';
import { UNSUPPORTED_TYPE_HINT, unsupportedTypeMessage } from './json-body.js';
import { publicRoutes } from './public-routes.js';
import { createWebhookReceiver } from './receive-webhook.js';
import { createUploadBudget } from './upload-budget.js';
import { webhookRoutes } from './webhook-routes.js';

export interface AppOptions {
  service: Service;
  adminToken: string;
  logger?: PinoLogger;
  /** Client timeouts, the shutdown deadline and the upload buffer (defaults: 30 s idle, 300 s per request, 10 s grace on close, 256 MiB); tests pass small ones. */
  limits?: Partial<HttpLimits>;
}

const CODE_STATUS: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 400, CONFIG_ENV_MISSING: 400, SCHEDULE_INVALID: 400, CONNECTION_FROM_FILE: 409, SYNC_RUNNING: 409, MANIFEST_NOT_FOUND: 404, STORE_UNAVAILABLE: 503, CONNECTION_UNAVAILABLE: 503, BUS_PUBLISH: 503, SHUTTING_DOWN: 503,
};

interface FrameworkReply {
  status: number;
  code: string;
  message: string | ((contentType: string | undefined) => string);
  hint: string;
}

/** The methods a route may have (Fastify adds HEAD to each GET): tried on a path no route of the request's method has. */
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const NO_ROUTE_HINT = 'Webhooks are POST /webhooks/:connector/:connection; the admin routes (under /api), /health and /metrics are listed in docs/service.md.';
const INTERNAL_HINT = 'A fault on the server: its log has the error (same time); retry, and report it if it persists.';
const SEND_JSON = 'Send a JSON object with Content-Type: application/json.';

/** Fastify's own refusals, said in our words: what is wrong and what to send instead. */
const FRAMEWORK_ERRORS: Partial<Record<string, FrameworkReply>> = {
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_REQUEST', message: 'the URL path is not valid percent-encoding', hint: 'Encode "%" as %25 in path segments; each % must start an escape such as %2F.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', hint: UNSUPPORTED_TYPE_HINT, message: unsupportedTypeMessage },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'BAD_REQUEST', message: 'the body is empty', hint: SEND_JSON },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'BAD_REQUEST', message: 'the body is not valid JSON', hint: SEND_JSON },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than this route accepts', hint: 'Send a smaller body.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST', message: 'the body size does not match Content-Length', hint: 'Send the whole body, or fix the Content-Length header.' },
};

/** Our reply for a Fastify refusal, or undefined for an error that is not one. */
function frameworkReply(code: string, contentType: string | undefined) {
  const known = FRAMEWORK_ERRORS[code];
  if (!known) return undefined;
  const message = typeof known.message === 'string' ? known.message : known.message(contentType);
  return { status: known.status, body: { error: { code: known.code, message, hint: known.hint } } };
}

/** The HTTP face of the service: webhooks (public, signed), admin API (bearer), health and metrics. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  // Webhooks refused while closing, by connector: providers that never retry (GitHub, GitLab) need them redelivered.
  const refusedWebhooks = new Map<string, number>();
  const closingState: ClosingState = {
    closing: false, refused: 0,
    onWebhookRefused(connector) {
      options.service.refusedWhileClosing(connector);
      refusedWebhooks.set(connector, (refusedWebhooks.get(connector) ?? 0) + 1);
    },
  };
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const uploads = createUploads();
  const budget = createUploadBudget(limits.uploadBufferBytes);
  const receiveWebhook = createWebhookReceiver(options.service, { uploads, idleTimeoutMs: limits.idleTimeoutMs, budget }, (error) => options.logger?.error({ err: error }, 'webhook request failed'));
  const app: FastifyInstance = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    // In-flight requests finish on close; new ones are refused by the HTTP server (http-server.ts)
    // in our error shape, without Fastify's log line per refused request.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // One log line per request costs too much at thousands of webhooks a second; metrics count them.
    logController: new LogController({ disableRequestLogging: true }),
    // A path Fastify cannot decode (`/webhooks/github/%ZZ`) gets our error shape too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const known = frameworkReply(error.code, request.headers['content-type']);
      return known ? reply.code(known.status).send(known.body) : reply.send(error);
    },
    // Node's own answers to unparsable requests (431, 400) and timeouts (408), in our error shape.
    clientErrorHandler: (error, socket) => {
      const code = answerClientError(error, socket);
      if (code) options.service.refusedByHttp(code);
    },
    serverFactory: (handler, serverOptions) =>
      createHttpServer(handler, serverOptions as HttpServerOptions, receiveWebhook, closingState, limits),
  });
  app.addHook('preClose', (done) => {
    closingState.closing = true;
    // close() waits for open requests; a client that never finishes its upload must not hold it forever.
    if (app.server.listening) closeDeadline(app.server, uploads, limits.closeGraceMs, options.logger);
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    const refused = closingState.refused;
    if (refusedWebhooks.size > 0) {
      options.logger?.warn({ refused, webhooks: Object.fromEntries(refusedWebhooks) }, 'requests refused while shutting down (503 SHUTTING_DOWN); redeliver the webhooks of providers that do not retry (GitHub, GitLab)');
    } else if (refused > 0) {
      options.logger?.info({ refused }, 'requests refused while shutting down (503 SHUTTING_DOWN)');
    }
    done();
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isConnectorError(error)) {
      const status = CODE_STATUS[error.code] ?? 500;
      // `where`: the path in the request the error is about (`config.repositories.1`, `schedule`), as the CLI prints `(at ...)`.
      const where = error.location?.path;
      return reply.code(status).send({ error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}), ...(where ? { where } : {}) } });
    }
    const known = frameworkReply(error.code, request.headers['content-type']);
    if (known) return reply.code(known.status).send(known.body);
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const hint = status >= 500 ? INTERNAL_HINT : 'hint' in error && typeof error.hint === 'string' ? error.hint : undefined;
    return reply.code(status).send({ error: { code: error.code ?? 'INTERNAL', message: status >= 500 ? 'internal error' : error.message, ...(hint ? { hint } : {}) } });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // A path some route answers, with another method (`PUT /api/connections`): 405 and what it allows.
    // A trailing slash is no route's (`/api/connections/` would match `/api/connections/:id` with an empty id).
    const allowed = path.endsWith('/') ? [] : ROUTE_METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      return reply.code(405).header('allow', allowed.join(', ')).send({
        error: { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on ${path}`, hint: `Use ${allowed.join(', ')} (the Allow header); docs/service.md lists what each route does.` },
      });
    }
    return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${path}`, hint: NO_ROUTE_HINT } });
  });
  await app.register(webhookRoutes(receiveWebhook));
  await app.register(adminRoutes(options.service, options.adminToken));
  await app.register(publicRoutes(options.service));
  return app;
}
