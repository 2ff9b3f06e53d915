import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Service } from '../service/index.js';
import type { DeliveryStatus } from '../store/types.js';
import { safeEqual } from '../webhooks/index.js';
import { acceptJsonOnly } from './json-body.js';
import { queryProblem } from './query.js';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'done', 'failed', 'dead'];

/** The query parameters each admin route reads; any other is refused (see queryProblem). */
const QUERY_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  '/api/deliveries': ['connection', 'status', 'limit', 'after'],
  '/api/deliveries/:id/replay': ['connection'],
  '/api/connections/:id/records/:stream': ['limit', 'after'],
};

const notFound = (reply: FastifyReply, message: string) => reply.code(404).send({ error: { code: 'NOT_FOUND', message } });
const badRequest = (reply: FastifyReply, message: string) => reply.code(400).send({ error: { code: 'BAD_REQUEST', message } });

function parseLimit(value: string | undefined, fallback = 100): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : undefined;
}
function parseCursor(value: string | undefined): number | undefined | null {
  if (value === undefined || value === '') return undefined;
  return /^\d+$/.test(value) ? Number(value) : null;
}

/** The admin API under /api, behind `Authorization: Bearer <GWI_ADMIN_TOKEN>`. */
export const adminRoutes = (service: Service, adminToken: string): FastifyPluginAsync => async (scope: FastifyInstance) => {
  const expected = `Bearer ${adminToken}`;
  acceptJsonOnly(scope);
  scope.addHook('onRequest', async (request, reply) => {
    if (!safeEqual(request.headers.authorization ?? '', expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: { code: 'UNAUTHORIZED', message: 'missing or wrong admin token (Authorization: Bearer $GWI_ADMIN_TOKEN)' } });
    }
  });

  scope.addHook('preHandler', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined) return;
    const problem = queryProblem(`${request.method} ${route}`, request.query, QUERY_PARAMETERS[route] ?? []);
    if (problem) return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: problem.message, hint: problem.hint } });
  });

  scope.get('/api/connectors', async () => ({ connectors: service.connectors() }));
  scope.get('/api/connections', async () => ({ connections: service.listConnections() }));
  // Creates or replaces (upsert): 201 for a new id, 200 when it replaced the connection with that id.
  scope.post('/api/connections', async (request, reply) => {
    const id = (request.body as { id?: unknown } | null)?.id;
    const existed = typeof id === 'string' && service.getConnection(id) !== undefined;
    return reply.code(existed ? 200 : 201).send(service.putConnection(request.body, 'api'));
  });

  scope.get<{ Querystring: { connection?: string; status?: string; limit?: string; after?: string } }>('/api/deliveries', async (request, reply) => {
    const { connection, status } = request.query;
    const limit = parseLimit(request.query.limit);
    const after = parseCursor(request.query.after);
    if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) return badRequest(reply, `status must be one of ${STATUSES.join(', ')}`);
    if (limit === undefined) return badRequest(reply, 'limit must be an integer from 1 to 1000');
    if (after === null) return badRequest(reply, 'after must be a cursor returned as `next`');
    const rows = service.store.listDeliveries({ limit, ...(connection ? { connection } : {}), ...(status ? { status: status as DeliveryStatus } : {}), ...(after ? { after } : {}) });
    return {
      deliveries: rows.map(({ id, connector, connection: conn, event, status: st, attempts, received_at, error }) => ({ id, connector, connection: conn, event, status: st, attempts, received_at, error })),
      next: rows.length === limit ? String(rows[rows.length - 1]!.seq) : null,
    };
  });

  scope.post<{ Params: { id: string }; Querystring: { connection?: string } }>('/api/deliveries/:id/replay', async (request, reply) => {
    const outcome = await service.replay(request.params.id, request.query.connection);
    if (outcome.result === 'not_found') return notFound(reply, `no delivery ${request.params.id}`);
    if (outcome.result === 'ambiguous') {
      return reply.code(409).send({ error: { code: 'AMBIGUOUS', message: `delivery id ${request.params.id} exists for several connections (${outcome.connections.join(', ')}); add ?connection=` } });
    }
    if (outcome.result === 'on_workers') {
      return reply.code(409).send({
        error: { code: 'REPLAY_ON_WORKERS', message: 'this receiver hands deliveries to Pub/Sub workers (--no-dispatch): replay failed ones from the workers\' dead-letter topic (docs/service.md, "Workers")' },
      });
    }
    const { delivery } = outcome;
    return reply.code(202).send({ id: delivery.id, connection: delivery.connection, status: 'pending' });
  });

  scope.post<{ Params: { id: string } }>('/api/connections/:id/sync', async (request, reply) => {
    if (!service.getConnection(request.params.id)) return notFound(reply, `no connection ${request.params.id}`);
    const { run, started } = service.syncs.start(request.params.id, 'api');
    return reply.code(202).send({ run_id: run.id, started });
  });

  scope.get<{ Params: { id: string } }>('/api/runs/:id', async (request, reply) => {
    const run = service.store.getRun(request.params.id);
    return run ?? notFound(reply, `no run ${request.params.id}`);
  });

  scope.get<{ Params: { id: string; stream: string }; Querystring: { limit?: string; after?: string } }>('/api/connections/:id/records/:stream', async (request, reply) => {
    const connection = service.getConnection(request.params.id);
    if (!connection) return notFound(reply, `no connection ${request.params.id}`);
    const streams = service.connectors().find((c) => c.name === connection.connector)?.streams ?? [];
    if (!streams.includes(request.params.stream)) return notFound(reply, `connector ${connection.connector} has no stream ${request.params.stream}`);
    const limit = parseLimit(request.query.limit);
    const after = parseCursor(request.query.after);
    if (limit === undefined) return badRequest(reply, 'limit must be an integer from 1 to 1000');
    if (after === null) return badRequest(reply, 'after must be a cursor returned as `next`');
    const rows = service.store.listRecords(request.params.id, request.params.stream, limit, after);
    return { records: rows.map((r) => r.data), next: rows.length === limit ? String(rows[rows.length - 1]!.seq) : null };
  });
};

