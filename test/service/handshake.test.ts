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
