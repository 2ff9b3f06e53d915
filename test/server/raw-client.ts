import { connect, type Socket } from 'node:net';

/** A raw TCP client: what it received so far, and a promise for the socket's end. */
export interface RawClient {
  socket: Socket;
  received(): string;
  /** Resolves with everything received once the server closed or reset the connection. */
  closed: Promise<string>;
  /** Resolves once `text` has been received. */
  until(text: string): Promise<string>;
}

export function rawClient(port: number, first: string | Buffer): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const waiters: Array<{ text: string; resolve: (s: string) => void }> = [];
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      for (const w of waiters.splice(0)) (data.includes(w.text) ? w.resolve(data) : waiters.push(w));
    });
    const closed = new Promise<string>((done) => socket.on('close', () => done(data)));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(first);
      resolve({
        socket, closed, received: () => data,
        until: (text) => (data.includes(text) ? Promise.resolve(data) : new Promise((r) => waiters.push({ text, resolve: r }))),
      });
    });
    socket.once('error', reject);
  });
}

/** The status and JSON body of a raw HTTP/1.1 response. */
export function parseResponse(raw: string): { status: number; body: unknown } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
  const text = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return { status, body: text ? JSON.parse(text) : undefined };
}

/** Request headers of a webhook POST announcing `length` body bytes. */
export function postHead(path: string, length: number, extra: Record<string, string> = {}): string {
  const headers = { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': String(length), ...extra };
  return `POST ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}
