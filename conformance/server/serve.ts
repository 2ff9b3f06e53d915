import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the suite's local servers see it: body already read, query parsed. */
export interface LocalRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters in arrival order (repeated names appear several times). */
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body: Buffer;
  /** The server's own origin, e.g. http://127.0.0.1:41234 (for next-page URLs). */
  origin: string;
}

export interface LocalResponse {
  status: number;
  headers?: Record<string, string>;
  /** Raw text; use `json()` to build one from a value. */
  body?: string;
}

/**
 * A request handler: answers a response, or takes over the raw socket (`'handled'`) to simulate
 * resets and slow or truncated bodies.
 */
export type Handler = (request: LocalRequest, raw: { req: IncomingMessage; res: ServerResponse }) => Promise<LocalResponse | 'handled'>;

export interface LocalServer {
  /** Origin, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  close(): Promise<void>;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): LocalResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** Start a real HTTP server on 127.0.0.1 (an ephemeral port) around `handler`. */
export async function startLocalServer(handler: Handler): Promise<LocalServer> {
  let origin = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const request: LocalRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: [...url.searchParams.entries()],
        headers,
        body: Buffer.concat(chunks),
        origin,
      };
      handler(request, { req, res }).then(
        (response) => {
          if (response === 'handled') return;
          res.writeHead(response.status, response.headers ?? {});
          res.end(response.body ?? '');
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `conformance server error: ${String(error)}` }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
