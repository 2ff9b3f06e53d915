import { verify } from '@octokit/webhooks-methods';
import Fastify from 'fastify';

/**
 * The ingest bench's baseline: a Fastify server that only verifies the GitHub signature of the raw
 * body and answers 202, storing nothing. `serve` is measured against it (ratio = durable / baseline).
 * Run as its own process, like `serve`, so both get the same CPU share against autocannon.
 */
const port = Number(process.env['BASELINE_PORT']);
const secret = process.env['BASELINE_SECRET'] ?? '';

const app = Fastify({ logger: false, bodyLimit: 26_214_400 });
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post<{ Params: { connector: string; connection: string }; Body: Buffer }>('/webhooks/:connector/:connection', async (request, reply) => {
  const signature = request.headers['x-hub-signature-256'];
  if (typeof signature !== 'string') return reply.code(400).send({ error: 'missing signature' });
  if (!(await verify(secret, request.body.toString('utf8'), signature))) return reply.code(401).send({ error: 'bad signature' });
  return reply.code(202).send({ id: request.headers['x-github-delivery'], duplicate: false });
});
app.get('/health', async () => ({ status: 'ok' }));

await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
