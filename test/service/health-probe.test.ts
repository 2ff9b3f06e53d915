import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import { auth, HOOKS_MANIFEST, startService, tempDir } from './fixtures.js';

/**
 * /health reports, per connection, the API's reachability from the manifest's `health_check` and the
 * rate-limit headroom the API announced (issue: health per connector and connection).
 */
const manifest = () =>
  parseManifest(
    HOOKS_MANIFEST.replace(
      'requester:\n  url_base: "http://127.0.0.1:9"',
      'requester:\n  url_base: "http://127.0.0.1:9"\n  rate_limit: { requests: 100, per: second, remaining_header: x-ratelimit-remaining }',
    ) + 'health_check: { path: /status, expected_status: 200 }\n',
    'hooks.yaml',
  );

let tmp: ReturnType<typeof tempDir>;
let api: Server;
let base: string;
let up = true;

beforeEach(async () => {
  tmp = tempDir();
  up = true;
  api = createServer((req, res) => {
    if (req.url === '/status') {
      res.writeHead(up ? 200 : 503).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining': '4321' }).end('[{"id": 1, "title": "one"}]');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => api.close(resolve));
  tmp.cleanup();
});

describe('GET /health: health_check probes and rate-limit headroom', () => {
  it('shows the probe result, takes the connection down while the probe fails, and the remaining budget after a sync', async () => {
    const ctx = await startService(tmp.dir, { background: false, manifests: [manifest()], urlBaseOverride: () => base });
    await ctx.service.probes.runOnce();
    let health = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.connectors.hooks.connections.acme).toMatchObject({ status: 'ok', probe: { status: 'ok', http_status: 200 }, rate_limit_remaining: null });

    const run = (await ctx.app.inject({ method: 'POST', url: '/api/connections/acme/sync', headers: auth })).json();
    for (let i = 0; i < 500 && (await ctx.app.inject({ method: 'GET', url: `/api/runs/${run.run_id}`, headers: auth })).json().status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    health = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.connectors.hooks.connections.acme).toMatchObject({ rate_limit_remaining: 4321 });

    up = false;
    await ctx.service.probes.runOnce();
    health = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.connectors.hooks.connections.acme).toMatchObject({ status: 'down', probe: { status: 'down', http_status: 503 } });
    expect(health.status).toBe('degraded');
    await ctx.close();
  });

  it('a connection posted again drops the probe result of its old config and is probed at once, not a minute later', async () => {
    up = false;
    const ctx = await startService(tmp.dir, { manifests: [manifest()], urlBaseOverride: () => base, probeIntervalMs: 600_000 });
    const acme = async () => (await ctx.app.inject({ method: 'GET', url: '/health' })).json().connectors.hooks.connections.acme;
    await vi.waitFor(async () => expect(await acme()).toMatchObject({ status: 'down', probe: { status: 'down' } }));
    up = true; // the fix the new config brings
    ctx.service.putConnection({ id: 'acme', connector: 'hooks', config: { webhook_secret: 'another' } }, 'api');
    expect((await acme()).probe?.status).not.toBe('down');
    await vi.waitFor(async () => expect(await acme()).toMatchObject({ status: 'ok', probe: { status: 'ok', http_status: 200 } }));
    await ctx.close();
  });
});
