import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { ConnectorError } from '../errors/index.js';
import type { Service } from '../service/index.js';
import type { DeliveryStatus } from '../store/types.js';
import { safeEqual } from '../webhooks/index.js';
import { acceptJsonOnly, TAKES_NO_BODY } from './json-body.js';
import { queryProblem } from './query.js';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'done', 'failed', 'dead'];

/** The query parameters each admin route reads; any other is refused (see queryProblem). */
const QUERY_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  '/api/deliveries': ['connection', 'status', 'limit', 'after'],
  '/api/deliveries/:id/replay': ['connection'],
  '/api/deliveries/replay': ['connection', 'status'],
  '/api/connections/:id/records/:stream': ['limit', 'after'],
};

const notFound = (reply: FastifyReply, message: string, hint: string) => reply.code(404).send({ error: { code: 'NOT_FOUND', message, hint } });
const badRequest = (reply: FastifyReply, message: string, hint: string) => reply.code(400).send({ error: { code: 'BAD_REQUEST', message, hint } });

/** The hints of the refusals more than one route makes. */
const HINTS = {
  connection: 'GET /api/connections lists the connections; add one with POST /api/connections (or the --connections file).',
  limit: 'Leave limit out for 100, or give a whole number from 1 to 1000, e.g. ?limit=50.',
  after: 'Leave after out for the first page; for the next one pass the previous answer\'s `next` unchanged (for records, `changes_after` too).',
  emptyConnection: 'Give a connection id, e.g. ?connection=acme, or leave connection out for all of them; GET /api/connections lists the ids.',
};

/**
 * When a delivery is tried next: a failed one's retry (past once it is due), or a pending one
 * deferred to later (its connection does not run; a replay on a receiver); null otherwise.
 */
const nextAttempt = (status: DeliveryStatus, at: string | null) =>
  at !== null && (status === 'failed' || (status === 'pending' && Date.parse(at) > Date.now())) ? at : null;

/** `?connection=` given empty: refused rather than read as "no filter" (or as a connection named ""). */
const emptyConnection = (reply: FastifyReply, route: string) => badRequest(reply, `connection must not be empty on ${route}`, HINTS.emptyConnection);

/**
 * One page of rows after a cursor: the store is asked for one row more than the page holds, so
 * `next` is given only when another row exists (an exactly full last page ends with `next: null`).
 */
function page<T extends { seq: number }>(rowsPlusOne: T[], limit: number): { rows: T[]; next: string | null } {
  const rows = rowsPlusOne.slice(0, limit);
  return { rows, next: rowsPlusOne.length > limit ? String(rows[rows.length - 1]!.seq) : null };
}

/** `?limit=&after=` of a listing: the page size (default 100) and the cursor, or what is wrong with them. */
function readPaging(query: { limit?: string; after?: string }): { limit: number; after: number | undefined } | { message: string; hint: string } {
  // Digits only: Number() would also take `1e2`, `0x10` and ` 5`, which are not the whole number the hint asks for.
  const limit = query.limit === undefined ? 100 : /^\d+$/.test(query.limit) ? Number(query.limit) : NaN;
  if (!(limit >= 1 && limit <= 1000)) return { message: `limit must be a whole number from 1 to 1000, got ${JSON.stringify(query.limit)}`, hint: HINTS.limit };
  if (query.after === undefined || query.after === '') return { limit, after: undefined };
  if (!/^\d+$/.test(query.after)) return { message: 'after must be a cursor returned as `next` (or, for records, `changes_after`)', hint: HINTS.after };
  return { limit, after: Number(query.after) };
}

const BEARER = 'bearer ';

/**
 * Whether `Authorization` is `Bearer <token>`: the scheme in any case (RFC 7235 says it is
 * case-insensitive; `bearer x` was refused), one space, then the token compared in constant time.
 */
function bearerMatches(header: string, token: string): boolean {
  const scheme = header.slice(0, BEARER.length).toLowerCase() === BEARER;
  return scheme && token !== '' && safeEqual(header.slice(BEARER.length), token);
}

/** The admin API under /api, behind `Authorization: Bearer <GWI_ADMIN_TOKEN>`. */
export const adminRoutes = (service: Service, adminToken: string): FastifyPluginAsync => async (scope: FastifyInstance) => {
  /** A connection the service has, running or stored but not running (CONNECTION_UNAVAILABLE). */
  const known = (id: string) => service.getConnection(id) ?? service.unavailableConnection(id);
  acceptJsonOnly(scope);
  scope.addHook('onRequest', async (request, reply) => {
    if (!bearerMatches(request.headers.authorization ?? '', adminToken)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({
        error: {
          code: 'UNAUTHORIZED', message: 'missing or wrong admin token',
          hint: 'Send the header Authorization: Bearer <token>, with the token of GWI_ADMIN_TOKEN or, when that is unset, of <data>/admin.token (e.g. "Authorization: Bearer $(cat data/admin.token)").',
        },
      });
    }
  });

  scope.addHook('preHandler', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined) return;
    const problem = queryProblem(`${request.method} ${route}`, request.query, QUERY_PARAMETERS[route] ?? []);
    if (problem) return badRequest(reply, problem.message, problem.hint);
  });

  scope.get('/api/connectors', async () => ({ connectors: service.connectors() }));
  scope.get('/api/connections', async () => ({ connections: service.listConnections() }));
  // Creates or replaces (upsert): 201 for a new id, 200 when it replaced the connection with that id,
  // running or stored but not running (CONNECTION_UNAVAILABLE: posting it again is how it is repaired).
  scope.post('/api/connections', async (request, reply) => {
    const id = (request.body as { id?: unknown } | null)?.id;
    const existed = typeof id === 'string' && known(id) !== undefined;
    return reply.code(existed ? 200 : 201).send(service.putConnection(request.body, 'api'));
  });

  // Stops and forgets an API connection; what it stored (deliveries, records, state, runs) is kept.
  scope.delete<{ Params: { id: string } }>('/api/connections/:id', { config: TAKES_NO_BODY }, async (request, reply) => {
    const { id } = request.params;
    if (service.removeConnection(id) === 'not_found') return notFound(reply, `no connection ${id}`, 'GET /api/connections lists the connections.');
    return reply.code(204).send();
  });

  scope.get<{ Querystring: { connection?: string; status?: string; limit?: string; after?: string } }>('/api/deliveries', async (request, reply) => {
    const { connection, status } = request.query;
    if (connection === '') return emptyConnection(reply, 'GET /api/deliveries');
    if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) {
      return badRequest(reply, `status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`, `Give one of them, e.g. ?status=dead, or leave status out for all.`);
    }
    const paging = readPaging(request.query);
    if ('message' in paging) return badRequest(reply, paging.message, paging.hint);
    const { limit, after } = paging;
    const { rows, next } = page(
      service.store.listDeliveries({ limit: limit + 1, ...(connection ? { connection } : {}), ...(status ? { status: status as DeliveryStatus } : {}), ...(after ? { after } : {}) }),
      limit,
    );
    // An empty page for a connection that is not configured: a typo, or one that was removed (its
    // deliveries are kept and stay listed). One indexed row (deliveries_by_connection) tells which.
    if (rows.length === 0 && connection !== undefined && !known(connection) && service.store.listDeliveries({ connection, limit: 1 }).length === 0) {
      return notFound(reply, `no connection ${connection}, and no delivery of one`, `${HINTS.connection} The deliveries of a removed connection stay listed under its id.`);
    }
    return {
      deliveries: rows.map(({ id, connector, connection: conn, event, status: st, attempts, received_at, next_attempt_at, error }) => ({ id, connector, connection: conn, event, status: st, attempts, received_at, next_attempt_at: nextAttempt(st, next_attempt_at), error })),
      next,
    };
  });

  // After a fix, every dead (or failed) delivery of a connection in one call.
  scope.post<{ Querystring: { connection?: string; status?: string } }>('/api/deliveries/replay', { config: TAKES_NO_BODY }, async (request, reply) => {
    const { connection, status = 'dead' } = request.query;
    if (!connection) return badRequest(reply, 'POST /api/deliveries/replay needs ?connection=', `Say whose deliveries, e.g. ?connection=acme&status=dead; ${HINTS.connection}`);
    if (status !== 'dead' && status !== 'failed') return badRequest(reply, `status must be dead or failed, not ${JSON.stringify(status)}`, 'Leave status out for dead, or give status=failed for those waiting for their next attempt.');
    const replayed = await service.replayAll(connection, status);
    if (replayed === undefined) return notFound(reply, `no connection ${connection} is configured now`, `${HINTS.connection} Deliveries of a connection that was removed cannot be replayed.`);
    return reply.code(202).send({ connection, status: 'pending', replayed });
  });

  scope.post<{ Params: { id: string }; Querystring: { connection?: string } }>('/api/deliveries/:id/replay', { config: TAKES_NO_BODY }, async (request, reply) => {
    const { id } = request.params;
    const { connection } = request.query;
    if (connection === '') return emptyConnection(reply, 'POST /api/deliveries/:id/replay');
    const outcome = await service.replay(id, connection);
    if (outcome.result === 'not_found') {
      if (connection !== undefined && !known(connection)) {
        return notFound(reply, `no delivery ${id} of connection ${connection}: no connection ${connection} is configured now`, `${HINTS.connection} Deliveries of a connection that was removed cannot be replayed.`);
      }
      const where = connection === undefined ? 'of any connection configured now' : `of connection ${connection}`;
      return notFound(reply, `no delivery ${id} ${where}`, 'GET /api/deliveries lists the delivery ids (the dedupe key, e.g. <hook id>:<GUID> for GitHub, URL-encoded); deliveries of a connection that was removed cannot be replayed.');
    }
    if (outcome.result === 'ambiguous') {
      return reply.code(409).send({
        error: {
          code: 'AMBIGUOUS', message: `delivery id ${id} exists for several connections (${outcome.connections.join(', ')})`,
          hint: `Say which one: POST /api/deliveries/${encodeURIComponent(id)}/replay?connection=${encodeURIComponent(outcome.connections[0] ?? '')}.`,
        },
      });
    }
    if (outcome.result === 'on_workers') {
      return reply.code(409).send({
        error: {
          code: 'REPLAY_ON_WORKERS', message: 'this receiver hands deliveries to Pub/Sub workers (--no-dispatch), and this one reached them',
          hint: 'Replay it from the workers\' dead-letter topic (docs/service.md, "Workers").',
        },
      });
    }
    const { delivery } = outcome;
    return reply.code(202).send({ id: delivery.id, connection: delivery.connection, status: 'pending' });
  });

  scope.post<{ Params: { id: string } }>('/api/connections/:id/sync', { config: TAKES_NO_BODY }, async (request, reply) => {
    if (!service.getConnection(request.params.id)) {
      const down = service.unavailableConnection(request.params.id);
      // 503 through the error handler, as replay's.
      if (down) throw new ConnectorError('CONNECTION_UNAVAILABLE', `connection ${request.params.id} is not running: ${down.reason}`, { hint: down.fix });
      return notFound(reply, `no connection ${request.params.id}`, HINTS.connection);
    }
    const { run, started } = service.syncs.start(request.params.id, 'api');
    return reply.code(202).send({ run_id: run.id, started });
  });

  scope.get<{ Params: { id: string } }>('/api/runs/:id', async (request, reply) => {
    const run = service.store.getRun(request.params.id);
    return run ?? notFound(reply, `no run ${request.params.id}`, 'Use the run_id that POST /api/connections/:id/sync answered; /health shows each connection\'s last_sync.');
  });

  scope.get<{ Params: { id: string; stream: string }; Querystring: { limit?: string; after?: string } }>('/api/connections/:id/records/:stream', async (request, reply) => {
    // What a connection that is not running (CONNECTION_UNAVAILABLE) stored can still be read.
    const connection = known(request.params.id);
    if (!connection) return notFound(reply, `no connection ${request.params.id}`, HINTS.connection);
    const streams = service.connectors().find((c) => c.name === connection.connector)?.streams ?? [];
    if (!streams.includes(request.params.stream)) {
      return notFound(reply, `connector ${connection.connector} has no stream ${request.params.stream}`, `Its streams: ${streams.join(', ') || '(none)'}.`);
    }
    const paging = readPaging(request.query);
    if ('message' in paging) return badRequest(reply, paging.message, paging.hint);
    const { rows, next } = page(service.store.listRecords(request.params.id, request.params.stream, paging.limit + 1, paging.after), paging.limit);
    // Where this answer ends, also on the last page: passed as `after` later, it lists what was added
    // or changed since (a changed record moves to the end of the listing).
    const changesAfter = rows.length > 0 ? String(rows[rows.length - 1]!.seq) : String(paging.after ?? 0);
    return { records: rows.map((r) => r.data), next, changes_after: changesAfter };
  });
};

