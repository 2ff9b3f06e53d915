import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { parseManifest } from '../../runtime/manifest/index.js';
import type { AirbyteMessage, ConfiguredCatalog, StreamState } from '../../runtime/protocol/messages.js';
import { createConnector, type ConnectorOptions } from '../../runtime/sync/index.js';

/** A request as the test server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
}

export interface TestServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (port 0) answering with `handler`. */
export async function startServer(handler: (request: SeenRequest, url: string) => Reply | Promise<Reply>): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  let base = '';
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const parsed = new URL(req.url ?? '/', base);
    const seen: SeenRequest = { method: req.method ?? 'GET', path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body: text ? JSON.parse(text) : undefined };
    requests.push(seen);
    const reply = await handler(seen, base);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface ReadOptions extends Partial<Omit<ConnectorOptions, 'manifest' | 'config'>> {
  catalog?: ConfiguredCatalog;
  state?: StreamState[];
}

/** Every message of a `read`, with sleeps recorded instead of waited. */
export async function read(yaml: string, config: Record<string, unknown>, options: ReadOptions = {}): Promise<{ messages: AirbyteMessage[]; sleeps: number[] }> {
  const sleeps: number[] = [];
  const { catalog, state, ...rest } = options;
  const connector = createConnector({
    manifest: parseManifest(yaml, 'test.yaml'),
    config,
    connectionId: randomUUID(), // breakers and budgets are per connection: tests never share one
    sleep: async (ms) => { sleeps.push(ms); },
    ...rest,
  });
  const messages: AirbyteMessage[] = [];
  for await (const message of connector.read(catalog, state)) messages.push(message);
  await connector.close();
  return { messages, sleeps };
}

export const records = (messages: AirbyteMessage[], stream?: string) =>
  messages.flatMap((m) => (m.type === 'RECORD' && (!stream || m.record.stream === stream) ? [m.record.data] : []));
export const states = (messages: AirbyteMessage[]) => messages.flatMap((m) => (m.type === 'STATE' ? [m.state] : []));
export const errors = (messages: AirbyteMessage[]) => messages.flatMap((m) => (m.type === 'TRACE' && m.trace.type === 'ERROR' ? [m.trace.error] : []));
export const statuses = (messages: AirbyteMessage[]) =>
  messages.flatMap((m) => (m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' ? [`${m.trace.stream_status.stream_descriptor.name}:${m.trace.stream_status.status}`] : []));

/** `count` issue-like records, ids 1..count, updated one hour apart from 2024-01-01. */
export function issues(count: number): Array<{ id: number; title: string; updated_at: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: i + 1, title: `Issue ${i + 1}`, updated_at: new Date(Date.UTC(2024, 0, 1, i)).toISOString() }));
}

/** A manifest with one stream `items`; `stream` is YAML indented under it (4 spaces). */
export function manifest(stream: string, extra = ''): string {
  return `name: test
version: 1.0.0
spec:
  type: object
  properties:
    token: { type: string, secret: true }
    base_url: { type: string }
requester:
  url_base: "{{ config.base_url }}"
  retry: { attempts: 3, base_ms: 10, max_ms: 60000 }
${extra}
streams:
  items:
    primary_key: id
    schema: { type: object }
${stream}
`;
}
