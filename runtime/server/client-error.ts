import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

interface ClientErrorReply {
  status: number;
  code: string;
  message: string;
  hint: string;
}

const BAD_FRAMING: ClientErrorReply = {
  status: 400, code: 'BAD_REQUEST', message: 'the request is not valid HTTP/1.1 (bad framing, headers or Content-Length)',
  hint: 'Send one Content-Length or Transfer-Encoding: chunked, well-formed headers, and a body of the announced size.',
};

/** Refusals Node makes before any route sees the request, by the parser's error code; anything else is BAD_FRAMING. */
const CLIENT_ERRORS: Partial<Record<string, ClientErrorReply>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431, code: 'HEADERS_TOO_LARGE', message: 'the request headers are larger than 16 KiB',
    hint: 'Send fewer or shorter headers (cookies, long tokens); a proxy in front may add some.',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the chunk extensions are too large', hint: 'Send chunks without extensions.' },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408, code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time',
    hint: 'Send the headers and the whole body without pausing; the server waits a limited time for a request (docs/service.md, "Timeouts").',
  },
};

/** What a socket carries while a response is on it (Node's private field, not in its types). */
type WithResponse = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * The server's `clientError` handler (Fastify's `clientErrorHandler`): the answer Node would send
 * for a request it cannot parse or that timed out, in our error shape `{"error": {code, message,
 * hint}}`, then the socket is closed (the stream cannot be trusted after a parse error). Returns the
 * code of the refusal (for the metrics), or undefined when there was nobody to refuse (a reset
 * connection, a socket already gone).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): string | undefined {
  // A reset connection, or one the client closed mid-request (end of stream where the parser
  // expected more), has nobody to answer: nothing is counted as refused.
  if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || socket.destroyed) {
    socket.destroy();
    return undefined;
  }
  const reply = CLIENT_ERRORS[error.code ?? ''] ?? BAD_FRAMING;
  // A response already started on this socket cannot be followed by another one.
  if (socket.writable && !(socket as WithResponse)._httpMessage?.headersSent) {
    const body = JSON.stringify({ error: { code: reply.code, message: reply.message, hint: reply.hint } });
    socket.write(
      `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
  return reply.code;
}
