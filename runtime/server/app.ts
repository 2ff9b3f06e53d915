import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { isConnectorError, type ErrorCode } from '../errors/index.js';
import type { Service } from '../service/index.js';
import { adminRoutes } from './admin-routes.js';
import { createHttpServer, type HttpServerOptions } from './http-server.js';
import { publicRoutes } from './public-routes.js';
import { createWebhookReceiver } from './receive-webhook.js';
import { webhookRoutes } from './webhook-routes.js';

export interface AppOptions {
  service: Service;
  adminToken: string;
  logger?: PinoLogger;
}

const CODE_STATUS: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 400, CONFIG_ENV_MISSING: 400, SCHEDULE_INVALID: 400, CONNECTION_FROM_FILE: 409, MANIFEST_NOT_FOUND: 404, STORE_UNAVAILABLE: 503, BUS_PUBLISH: 503,
};

/** The HTTP face of the service: webhooks (public, signed), admin API (bearer), health and metrics. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  let closing = false;
  const receiveWebhook = createWebhookReceiver(options.service, (error) => options.logger?.error({ err: error }, 'webhook request failed'));
  const app: FastifyInstance = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    // Let in-flight requests finish on close; refuse new ones meanwhile.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // One log line per request costs too much at thousands of webhooks a second; metrics count them.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler, serverOptions) =>
      createHttpServer(handler, serverOptions as HttpServerOptions, receiveWebhook, () => closing),
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isConnectorError(error)) {
      const status = CODE_STATUS[error.code] ?? 500;
      return reply.code(status).send({ error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } });
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ error: { code: error.code ?? 'INTERNAL', message: status >= 500 ? 'internal error' : error.message } });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }));
  await app.register(webhookRoutes(receiveWebhook));
  await app.register(adminRoutes(options.service, options.adminToken));
  await app.register(publicRoutes(options.service));
  return app;
}
