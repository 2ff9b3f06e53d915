#!/usr/bin/env node
// A tiny "tickets" API for docs/creating-connectors.md. Node's http module only, no dependencies.
//
//   TICKETS_API_KEY=dev-key node docs/examples/tickets/server.mjs [--port 4010] [--log]
//
// --log prints each request line on stderr.
//
// Endpoints (every one needs the header `X-API-Key: $TICKETS_API_KEY`):
//   GET   /api/me                                  the account the key belongs to
//   GET   /api/tickets?updated_since=&limit=&cursor=
//         { data: [...], next_cursor }             oldest update first; next_cursor null on the last page
//   GET   /api/tickets/:id/comments?page=&per_page=
//         { comments: [...], page, total_pages }   404 for an archived ticket
//   PATCH /api/tickets/:id  { "status": "..." }    changes a ticket; its updated_at moves forward
// Every answer carries X-RateLimit-Remaining and X-RateLimit-Reset (epoch seconds).
// The data is fixed, so every run prints the same records.
import { createServer } from 'node:http';

const apiKey = process.env.TICKETS_API_KEY ?? 'dev-key';
const portFlag = process.argv.indexOf('--port');
const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 4010;
const log = process.argv.includes('--log');

const tickets = [
  { id: 1, title: 'Login page is slow', status: 'open', priority: 'high', assignee: { email: 'ana@example.com' }, created_at: '2026-01-05T09:00:00Z', updated_at: '2026-01-05T09:30:00Z' },
  { id: 2, title: 'Export to CSV drops accents', status: 'open', priority: 'normal', assignee: null, created_at: '2026-01-06T10:00:00Z', updated_at: '2026-01-07T08:15:00Z' },
  { id: 3, title: 'Typo on the pricing page', status: 'closed', priority: 'low', assignee: { email: 'bo@example.com' }, created_at: '2026-01-08T11:00:00Z', updated_at: '2026-01-08T11:05:00Z' },
  { id: 4, title: 'Old importer crashes', status: 'archived', priority: 'normal', assignee: null, created_at: '2025-12-20T12:00:00Z', updated_at: '2026-01-09T16:00:00Z' },
  { id: 5, title: 'Dark mode contrast', status: 'open', priority: 'low', assignee: { email: 'ana@example.com' }, created_at: '2026-01-10T13:00:00Z', updated_at: '2026-01-11T14:45:00Z' },
];
const comments = {
  1: [
    { id: 101, ticket_id: 1, body: 'Reproduced on Firefox.', author: 'bo@example.com', created_at: '2026-01-05T09:10:00Z' },
    { id: 102, ticket_id: 1, body: 'The session lookup is not indexed.', author: 'ana@example.com', created_at: '2026-01-05T09:20:00Z' },
    { id: 103, ticket_id: 1, body: 'Index added, 40 ms now.', author: 'ana@example.com', created_at: '2026-01-05T09:30:00Z' },
  ],
  2: [{ id: 201, ticket_id: 2, body: 'Only with Excel on Windows.', author: 'cy@example.com', created_at: '2026-01-07T08:15:00Z' }],
  3: [],
  4: [{ id: 401, ticket_id: 4, body: 'Replaced by the new importer.', author: 'bo@example.com', created_at: '2026-01-09T16:00:00Z' }],
  5: [],
};

/** Opaque page tokens: the offset of the next ticket, base64url-encoded. */
const encodeCursor = (offset) => Buffer.from(`offset:${offset}`).toString('base64url');
const decodeCursor = (token) => Number(Buffer.from(token, 'base64url').toString().replace(/^offset:/, ''));

function send(res, status, body) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-ratelimit-remaining': '999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60),
  });
  res.end(JSON.stringify(body));
}

function listTickets(url, res) {
  const since = url.searchParams.get('updated_since');
  const limit = Math.min(Number(url.searchParams.get('limit') ?? 2), 100);
  const cursor = url.searchParams.get('cursor');
  const offset = cursor ? decodeCursor(cursor) : 0;
  if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset)) return send(res, 400, { error: 'bad limit or cursor' });
  const matching = tickets
    .filter((t) => !since || t.updated_at >= since)
    .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id - b.id);
  const data = matching.slice(offset, offset + limit);
  const more = offset + limit < matching.length;
  send(res, 200, { data, next_cursor: more ? encodeCursor(offset + limit) : null });
}

function listComments(id, url, res) {
  const ticket = tickets.find((t) => t.id === id);
  if (!ticket) return send(res, 404, { error: `no ticket ${id}` });
  if (ticket.status === 'archived') return send(res, 404, { error: `ticket ${id} is archived` });
  const page = Number(url.searchParams.get('page') ?? 1);
  const perPage = Number(url.searchParams.get('per_page') ?? 2);
  const all = comments[id] ?? [];
  send(res, 200, { comments: all.slice((page - 1) * perPage, page * perPage), page, total_pages: Math.max(1, Math.ceil(all.length / perPage)) });
}

async function patchTicket(id, req, res) {
  const ticket = tickets.find((t) => t.id === id);
  if (!ticket) return send(res, 404, { error: `no ticket ${id}` });
  let text = '';
  for await (const chunk of req) text += chunk;
  const change = JSON.parse(text || '{}');
  if (typeof change.status === 'string') ticket.status = change.status;
  // One minute after the newest update, so the output of the docs does not depend on the clock.
  const newest = Math.max(...tickets.map((t) => Date.parse(t.updated_at)));
  ticket.updated_at = new Date(newest + 60_000).toISOString().replace('.000Z', 'Z');
  send(res, 200, ticket);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (log) process.stderr.write(`${req.method} ${req.url}\n`);
  if (req.headers['x-api-key'] !== apiKey) return send(res, 401, { error: 'missing or wrong X-API-Key' });
  if (req.method === 'GET' && url.pathname === '/api/me') return send(res, 200, { account: 'demo', scopes: ['tickets:read'] });
  if (req.method === 'GET' && url.pathname === '/api/tickets') return listTickets(url, res);
  const comment = /^\/api\/tickets\/(\d+)\/comments$/.exec(url.pathname);
  if (req.method === 'GET' && comment) return listComments(Number(comment[1]), url, res);
  const one = /^\/api\/tickets\/(\d+)$/.exec(url.pathname);
  if (req.method === 'PATCH' && one) return void patchTicket(Number(one[1]), req, res).catch(() => send(res, 400, { error: 'bad JSON' }));
  send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  // Tests start the server with --port 0 and read the port from this line.
  console.log(`tickets API on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
