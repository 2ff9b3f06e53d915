import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { IngestReply, Service } from '../service/index.js';
import type { Uploads } from './in-flight.js';
import type { UploadBudget } from './upload-budget.js';

/** Answers one `POST /webhooks/:connector/:connection` on the raw request and response. */
export type WebhookReceiver = (connector: string, connection: string, req: IncomingMessage, res: ServerResponse) => void;

/**
 * The webhook receiver: the body is read as bytes (the signature covers exactly them), up to its
 * connector's limit, handed to the service, and its answer written back (as JSON, or empty). One receiver for
 * both ways in: from the HTTP server directly (http-server.ts, requests on a socket) and from the
 * Fastify route (`app.inject`, shutdown). Bodies are held in memory until stored, within `budget`
 * (see upload-budget.ts): a body that does not fit is refused 503 SERVER_BUSY, before or while it
 * is read.
 */
export function createWebhookReceiver(
  service: Service, reading: { uploads: Uploads; idleTimeoutMs: number; budget: UploadBudget }, onError: (error: unknown) => void,
): WebhookReceiver {
  const { uploads, idleTimeoutMs, budget } = reading;
  const failed = (res: ServerResponse, error: unknown) => {
    onError(error);
    if (res.headersSent) res.destroy();
    else answer(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
  };
  /**
   * `settled` runs once the service is done with the body (no extra promise on the hot path). An
   * answer that cannot be written (a bug) fails this request, not the process: the last catch.
   */
  const ingest = (connector: string, connection: string, req: IncomingMessage, res: ServerResponse, body: Buffer, settled?: () => void) =>
    service.ingest(connector, connection, body, req.headers, req.headers['content-type']).then(
      (answered) => {
        settled?.();
        reply(res, answered);
      },
      (error: unknown) => {
        settled?.();
        failed(res, error);
      },
    ).catch((error: unknown) => failed(res, error));
  return (connector, connection, req, res) => {
    if (!service.takesWebhooks(connector, connection)) {
      // ingest refuses these on the names alone, before it looks at the body: 404, or 503 for a
      // connection it knows but cannot run (CONNECTION_UNAVAILABLE), counted as usual. Nobody's
      // body is buffered for a request that cannot be taken.
      void ingest(connector, connection, req, res, EMPTY);
      return;
    }
    const limit = service.maxBodyBytes(connector);
    const announced = Number(req.headers['content-length']);
    // Answered before the body is read (Node reads and discards the rest, keeping the connection usable).
    if (announced > limit) {
      reply(res, service.bodyTooLarge(connector));
      return;
    }
    // Bytes are taken from the budget as they arrive, not on what a request announces: a client that
    // announces 25 MiB and sends nothing must not hold 25 MiB of it. A refusal may therefore come
    // part-way through a body; one that cannot fit even now is refused unread.
    if (announced > 0 && !budget.fits(announced)) {
      reply(res, service.uploadsFull(connector));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // Bytes of this body taken from the budget, given back once it is stored, refused or gone.
    let held = 0;
    let refused = false;
    const release = () => {
      budget.release(held);
      held = 0;
    };
    uploads.start(req);
    // A large or chunked body may take many packets: a client that stops sending mid-way loses its
    // socket after the inactivity timeout (Node destroys a socket whose timeout nobody handles). A
    // small one arrives in a packet or two; one stalled anyway ends at the request timeout. Not set on
    // every socket: that costs each read and write a timer refresh.
    const large = !(announced <= SMALL_BODY_BYTES);
    // (`?.`: requests injected through the Fastify route have a socket without timers.)
    if (large) req.socket.setTimeout?.(idleTimeoutMs);
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit || !budget.take(chunk.length)) {
        refused = true;
        chunks.length = 0;
        release();
        reply(res, size > limit ? service.bodyTooLarge(connector) : service.uploadsFull(connector));
        return;
      }
      held += chunk.length;
      chunks.push(chunk);
    });
    // A request that ends early (client gone, broken framing) is neither stored nor answered.
    req.on('error', () => {
      uploads.end(req);
      release();
    });
    req.on('end', () => {
      uploads.end(req);
      if (large) req.socket.setTimeout?.(0);
      if (refused) return;
      void ingest(connector, connection, req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), release);
    });
  };
}

const EMPTY = Buffer.alloc(0);
/** Bodies up to this size get no inactivity timeout of their own (see the receiver). */
const SMALL_BODY_BYTES = 64 * 1024;

/** The service's answer (a refusal too), with its `Retry-After` when it has one. */
function reply(res: ServerResponse, answered: IngestReply): void {
  answer(res, answered.status, answered.body, answered.retryAfterSeconds);
}

/**
 * `body` as JSON; none when undefined (a manifest's `acknowledge: {body: empty}`) or when the status
 * has no content (204, 205: a manifest may give them).
 */
function answer(res: ServerResponse, status: number, body: unknown, retryAfterSeconds?: number): void {
  const empty = body === undefined || status === 204 || status === 205;
  const text = empty ? '' : JSON.stringify(body);
  // 204 carries no Content-Length at all (RFC 9110 8.6).
  const headers: OutgoingHttpHeaders = empty ? (status === 204 ? {} : { 'content-length': 0 }) : { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  res.writeHead(status, headers);
  res.end(text);
}
