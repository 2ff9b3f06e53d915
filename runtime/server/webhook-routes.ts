import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { WebhookReceiver } from './receive-webhook.js';

/**
 * `POST /webhooks/:connector/:connection`. Fastify routes the request (and answers 503 while the
 * server closes), then hands the raw request and response to the webhook receiver from the onRequest
 * hook: no content-type parser, body parser or reply serialiser runs for a webhook.
 */
export const webhookRoutes = (receive: WebhookReceiver): FastifyPluginAsync => async (scope: FastifyInstance) => {
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
      receive(request.params.connector, request.params.connection, request.raw, reply.raw);
      done();
    },
    // Never reached: the hook above answers every request.
    handler: async () => undefined,
  });
};
