import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Service } from '../service/index.js';
import { receiveWebhook } from './receive-webhook.js';

/**
 * `POST /webhooks/:connector/:connection`. Fastify routes the request (and answers 503 while the
 * server closes), then hands the raw request and response to `receiveWebhook` from the onRequest
 * hook: no content-type parser, body parser or reply serialiser runs for a webhook.
 */
export const webhookRoutes = (service: Service): FastifyPluginAsync => async (scope: FastifyInstance) => {
  // No per-request child logger (Fastify builds one per request, binding reqId, which costs a
  // redaction-aware pino child at thousands of webhooks a second): the route logs nothing per
  // request, and the service logs refusals and failures with the connection.
  const childLoggerFactory = (logger: FastifyBaseLogger) => logger;
  scope.route<{ Params: { connector: string; connection: string } }>({
    method: 'POST',
    url: '/webhooks/:connector/:connection',
    childLoggerFactory,
    onRequest(request, reply, done) {
      reply.hijack();
      receiveWebhook(service, request.params.connector, request.params.connection, request.raw, reply.raw, (error) => request.log.error({ err: error }, 'webhook request failed'));
      done();
    },
    // Never reached: the hook above answers every request.
    handler: async () => undefined,
  });
};
