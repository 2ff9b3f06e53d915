import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import { buildApp } from '../../runtime/server/index.js';
import { createService } from '../../runtime/service/index.js';
import { ADMIN, auth, HOOKS_MANIFEST, SECRET, signedDelivery, tempDir, TEST_ENV } from './fixtures.js';

/** The hooks connector with a handshake whose `respond` reads a field its request lacks: a manifest bug. */
const BROKEN = parseManifest(HOOKS_MANIFEST.replace('  events:', `  handshakes:\n    - when: "action = 'ping'"\n      respond: "zen"\n  events:`), 'hooks.yaml');

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

it('a handshake the manifest cannot answer is 500 WEBHOOK_MISCONFIGURED, the reason in the log only, nothing stored', async () => {
  const logged: string[] = [];
  const service = await createService({ dataDir: tmp.dir, manifests: [BROKEN], env: TEST_ENV, background: false, logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }) });
  service.putConnection({ id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
  const app = await buildApp({ service, adminToken: ADMIN });
  try {
    const ping = signedDelivery({ action: 'ping' });
    const answered = await app.inject({ method: 'POST', url: '/webhooks/hooks/acme', headers: ping.headers, payload: ping.body });
    expect([answered.statusCode, answered.json()]).toEqual([500, { error: { code: 'WEBHOOK_MISCONFIGURED', message: "the connector's webhook handshake could not be answered; its operator is told why" } }]);
    const why = logged.map((line) => JSON.parse(line) as { msg: string; code?: string; err?: unknown }).find((entry) => entry.msg === 'answering a webhook handshake failed');
    expect(JSON.stringify(why)).toContain('webhooks.handshakes[0].respond gave nothing for this request');
    // Deliveries the handshake does not match go on as before.
    const opened = signedDelivery({ action: 'opened' });
    expect((await app.inject({ method: 'POST', url: '/webhooks/hooks/acme', headers: opened.headers, payload: opened.body })).statusCode).toBe(202);
    const listed = (await app.inject({ method: 'GET', url: '/api/deliveries?connection=acme', headers: auth })).json() as { deliveries: Array<{ id: string }> };
    expect(listed.deliveries.map((d) => d.id)).toEqual([opened.id]);
  } finally {
    await app.close();
    await service.close();
  }
});

/** The hooks connector acknowledging with an empty 200, and a ping handshake answered 204. */
const QUIET = parseManifest(
  HOOKS_MANIFEST.replace('  events:', `  acknowledge: { status: 200, body: empty }\n  handshakes:\n    - when: "action = 'ping'"\n      respond: "{ 'pong': true }"\n      status: 204\n  events:`),
  'hooks.yaml',
);

it('empty answers on a real keep-alive socket: an empty 200 for stored deliveries, a 204 handshake with no body nor Content-Length, the socket reused', async () => {
  const service = await createService({ dataDir: tmp.dir, manifests: [QUIET], env: TEST_ENV, background: false });
  service.putConnection({ id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
  const app = await buildApp({ service, adminToken: ADMIN });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const post = (d: ReturnType<typeof signedDelivery>) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string; reused: boolean }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/webhooks/hooks/acme', method: 'POST', headers: d.headers, agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end(d.body);
      });
    const opened = signedDelivery({ action: 'opened' });
    const answers = [await post(opened), await post(opened), await post(signedDelivery({ action: 'ping' }))];
    expect(answers.map((a) => [a.status, a.body, a.headers['content-length'], a.headers['content-type']])).toEqual([
      [200, '', '0', undefined],
      [200, '', '0', undefined],
      [204, '', undefined, undefined],
    ]);
    expect(answers.map((a) => a.reused)).toEqual([false, true, true]);
    const listed = (await app.inject({ method: 'GET', url: '/api/deliveries?connection=acme', headers: auth })).json() as { deliveries: Array<{ id: string }> };
    expect(listed.deliveries.map((d) => d.id)).toEqual([opened.id]);
  } finally {
    agent.destroy();
    await app.close();
    await service.close();
  }
});

it('with handshakes, a body that cannot be parsed is no handshake: refused 400 WEBHOOK_BODY with the parser\'s message, as without them', async () => {
  const service = await createService({ dataDir: tmp.dir, manifests: [QUIET], env: TEST_ENV, background: false });
  service.putConnection({ id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
  try {
    const broken = signedDelivery({ body: Buffer.from('{"action": "ping"') });
    const reply = await service.ingest('hooks', 'acme', broken.body, broken.headers, 'application/json');
    expect(reply).toMatchObject({ status: 400, outcome: 'bad_request', body: { error: { code: 'WEBHOOK_BODY', message: expect.stringMatching(/^the body is not valid JSON: /) } } });
    expect(service.store.deliveryCounts()).toMatchObject({ pending: 0, done: 0 });
  } finally {
    await service.close();
  }
});
