import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Service } from '../service/index.js';

/**
 * `POST /webhooks/:connector/:connection`, in its own encapsulated scope: every content type is read
 * as raw bytes (the signature covers the exact bytes; parsing first would break it), with the body
 * limit of the largest connector. The route only copies bytes in and the service's reply out.
 */
export const webhookRoutes = (service: Service): FastifyPluginAsync => async (scope: FastifyInstance) => {
  const bodyLimit = service.maxBodyBytes();
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
  // No per-request child logger (Fastify builds one per request, binding reqId, which costs a
  // redaction-aware pino child at thousands of webhooks a second): the route logs nothing per
  // request, and the service logs refusals and failures with the connection.
  const childLoggerFactory = (logger: FastifyBaseLogger) => logger;
  scope.post<{ Params: { connector: string; connection: string } }>('/webhooks/:connector/:connection', { bodyLimit, childLoggerFactory }, async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const result = await service.ingest(request.params.connector, request.params.connection, raw, request.headers, request.headers['content-type']);
    return reply.code(result.status).send(result.body);
  });
};
