import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { ERROR_CODES } from '../errors/index.js';
import { checkingIntervalMs, type HttpLimits } from './http-limits.js';
import type { WebhookReceiver } from './receive-webhook.js';

/** What Fastify passes to its `serverFactory`: the options its own HTTP/1 server would be created with. */
export interface HttpServerOptions {
  http?: ServerOptions | null;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number | null;
}

const WEBHOOK_PATH = /^\/webhooks\/([^/?]+)\/([^/?]+)(?:\?.*)?$/;

/** While the server closes: new requests are refused, and how many were (webhooks by connector). */
export interface ClosingState {
  closing: boolean;
  refused: number;
  /** Called for each webhook refused (its connector, from the path): GitHub and GitLab never retry one. */
  onWebhookRefused(connector: string): void;
}

/**
 * The HTTP server under Fastify. `POST /webhooks/:connector/:connection` goes straight to `webhook`
 * (the same receiver the Fastify route hands its raw request to, so `app.inject` in the tests runs
 * the same code); everything else goes to Fastify. Skipping Fastify's request, reply and router for
 * the one route that takes thousands of requests a second saves 5–10 µs of CPU per webhook
 * (docs/performance.md, session 4). Once the server is closing, a request that arrives (on a
 * keep-alive connection) is answered 503 SHUTTING_DOWN here, unread. The timeouts are `limits`'
 * (see http-limits.ts), not Fastify's (which turns them off).
 */
export function createHttpServer(
  fastify: (req: IncomingMessage, res: ServerResponse) => void, options: HttpServerOptions, webhook: WebhookReceiver, state: ClosingState,
  limits: HttpLimits,
): Server {
  const serverOptions: ServerOptions = {
    ...options.http,
    requestTimeout: limits.requestTimeoutMs,
    // Node refuses a headers timeout longer than the request timeout.
    headersTimeout: Math.min(60_000, limits.requestTimeoutMs),
    connectionsCheckingInterval: checkingIntervalMs(limits),
  };
  const server = createServer(serverOptions, (req, res) => {
    const match = req.method === 'POST' ? WEBHOOK_PATH.exec(req.url ?? '') : null;
    if (state.closing) {
      state.refused++;
      const refusedConnector = match && decode(match[1]!);
      if (refusedConnector) state.onWebhookRefused(refusedConnector);
      answerShuttingDown(res);
      return;
    }
    const connector = match && decode(match[1]!);
    const connection = match && decode(match[2]!);
    if (connector && connection) webhook(connector, connection, req, res);
    else fastify(req, res);
  });
  // What Fastify does to the server it creates itself (fastify/lib/server.js), except its timeouts of 0 (none).
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  // The inactivity timeout is set per upload by the webhook receiver (receive-webhook.ts), not on every socket.
  return server;
}

const SHUTTING_DOWN = JSON.stringify({
  error: { code: 'SHUTTING_DOWN', message: 'the service is shutting down; nothing of this request was read or stored', hint: ERROR_CODES.SHUTTING_DOWN.fix },
});

/** 503 in our error shape, closing the connection (the body is not read). */
function answerShuttingDown(res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(SHUTTING_DOWN), connection: 'close', 'retry-after': '5' });
  res.end(SHUTTING_DOWN);
}

/** A path segment as Fastify's router gives it; undefined (Fastify answers) when it is not valid percent-encoding. */
function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
