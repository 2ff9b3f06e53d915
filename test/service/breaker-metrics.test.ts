import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import { auth, HOOKS_MANIFEST, hooksManifest, startService, tempDir } from './fixtures.js';
import { startLocalApi, type LocalApi } from './local-api.js';

/**
 * An API that only answers 503: the requester retries (gwi_http_retries_total counts them), the circuit
 * breaker opens, /metrics shows it open (2) and /health shows the connection down.
 */

// Retries after 1-2 ms; the breaker may open after 2 requests when half of them failed, and stays
// open for ten minutes (longer than the test), so the state read afterwards is still `open`.
const FLAKY_MANIFEST = HOOKS_MANIFEST.replace('name: hooks', 'name: flaky').replace(
  'url_base: "http://127.0.0.1:9"',
  [
    'url_base: "http://127.0.0.1:9"',
    '  retry: { attempts: 4, backoff: constant, base_ms: 1, max_ms: 2, jitter: none }',
    '  circuit_breaker: { volume_threshold: 2, error_threshold_percentage: 50, reset_timeout_ms: 600000 }',
  ].join('\n'),
);

let tmp: ReturnType<typeof tempDir>;
let api: LocalApi;
let base: string;
let requests: number;

beforeEach(async () => {
  tmp = tempDir();
  requests = 0;
  api = await startLocalApi((_req, res) => {
    requests++;
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"message":"upstream unavailable"}');
  });
  base = api.base;
});
afterEach(async () => {
  await api.close();
  tmp.cleanup();
});

describe('HTTP retries and the circuit breaker through the service', () => {
  it('counts retries in gwi_http_retries_total, shows the open breaker in /metrics and the connection down in /health', async () => {
    const ctx = await startService(tmp.dir, { background: false, manifests: [hooksManifest(), parseManifest(FLAKY_MANIFEST, 'flaky.yaml')], urlBaseOverride: () => base });
    try {
      ctx.service.putConnection({ id: 'shaky', connector: 'flaky', config: { webhook_secret: 'x' } }, 'api');
      const { run_id } = (await ctx.app.inject({ method: 'POST', url: '/api/connections/shaky/sync', headers: auth })).json();
      let run: { status: string; error: string | null } = { status: 'running', error: null };
      for (let i = 0; i < 500 && run.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        run = (await ctx.app.inject({ method: 'GET', url: `/api/runs/${run_id}`, headers: auth })).json();
      }
      expect(run.status).toBe('failed');
      expect(requests).toBeGreaterThanOrEqual(2);

      const metrics = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
      const retries = /^gwi_http_retries_total\{connection="shaky"\} (\d+)$/m.exec(metrics);
      expect(retries, metrics).not.toBeNull();
      expect(Number(retries![1])).toBeGreaterThan(0);
      // metrics.ts: 0 closed, 1 half open, 2 open.
      expect(metrics).toMatch(/^gwi_circuit_breaker_state\{connection="shaky"\} 2$/m);

      // health.ts: an open breaker marks the connection down; its connector is down (its only
      // connection), which the aggregate reports as degraded (one connector never takes the service down).
      const health = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
      expect(health.connectors.flaky.connections.shaky).toMatchObject({ status: 'down', breaker: 'open', last_sync: { status: 'failed' } });
      expect(health.connectors.flaky.status).toBe('down');
      expect(health.connectors.hooks.connections.acme.status).toBe('ok');
      expect(health.status).toBe('degraded');

      // Posted again: a new connector (breaker not yet used), its retries since start kept.
      ctx.service.putConnection({ id: 'shaky', connector: 'flaky', config: { webhook_secret: 'y' } }, 'api');
      const reposted = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(reposted).toMatch(new RegExp(`^gwi_http_retries_total\\{connection="shaky"\\} ${retries![1]}$`, 'm'));
      expect(reposted).not.toMatch(/gwi_circuit_breaker_state\{connection="shaky"\}/);
      expect((await ctx.app.inject({ method: 'GET', url: '/health' })).json().connectors.flaky.connections.shaky).toMatchObject({ breaker: null });
      // Removed: its series go, rather than repeat their last values for ever.
      expect(ctx.service.removeConnection('shaky')).toBe('removed');
      const removed = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(removed.split('\n').filter((line) => /^gwi_(http_retries_total|circuit_breaker_state)\{connection="shaky"/.test(line))).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
