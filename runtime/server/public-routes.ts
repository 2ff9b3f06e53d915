import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Service } from '../service/index.js';

/** `/health` (200 when ok or degraded, 503 when down) and `/metrics` (Prometheus text). */
export const publicRoutes = (service: Service): FastifyPluginAsync => async (scope: FastifyInstance) => {
  scope.get('/health', async (_request, reply) => {
    const report = service.health();
    return reply.code(report.status === 'down' ? 503 : 200).send(report);
  });
  scope.get('/metrics', async (_request, reply) => {
    const text = await service.metrics.registry.metrics();
    return reply.type(service.metrics.registry.contentType).send(text);
  });
};
