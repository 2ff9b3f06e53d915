import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Service } from '../service/index.js';

/** Answers one `POST /webhooks/:connector/:connection` on the raw request and response. */
export type WebhookReceiver = (connector: string, connection: string, req: IncomingMessage, res: ServerResponse) => void;

/**
 * The webhook receiver: the body is read as bytes (the signature covers exactly them), up to the
 * largest connector's limit, handed to the service, and its answer written back as JSON. One
 * receiver for both ways in: from the HTTP server directly (http-server.ts, requests on a socket)
 * and from the Fastify route (`app.inject`, shutdown). The limit is read once: manifests are fixed
 * for the life of the service.
 */
export function createWebhookReceiver(service: Service, onError: (error: unknown) => void): WebhookReceiver {
  const limit = service.maxBodyBytes();
  const ingest = (connector: string, connection: string, req: IncomingMessage, res: ServerResponse, body: Buffer) =>
    service.ingest(connector, connection, body, req.headers, req.headers['content-type']).then(
      (reply) => answer(res, reply.status, reply.body),
      (error: unknown) => {
        onError(error);
        answer(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      },
    );
  return (connector, connection, req, res) => {
    const tooLarge = () => {
      const reply = service.bodyTooLarge(connector);
      answer(res, reply.status, reply.body);
    };
    // Answered before the body is read (Node reads and discards the rest, keeping the connection usable).
    if (Number(req.headers['content-length']) > limit) {
      tooLarge();
      return;
    }
    if (!service.takesWebhooks(connector, connection)) {
      // ingest refuses these on the names alone, before it looks at the body: 404, or 503 for a
      // connection it knows but cannot run (CONNECTION_UNAVAILABLE), counted as usual. Nobody's
      // body is buffered for a request that cannot be taken.
      void ingest(connector, connection, req, res, EMPTY);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        tooLarge();
      } else chunks.push(chunk);
    });
    // A request that ends early (client gone, broken framing) is neither stored nor answered.
    req.on('error', () => undefined);
    req.on('end', () => {
      if (size > limit) return;
      void ingest(connector, connection, req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  };
}

const EMPTY = Buffer.alloc(0);

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
