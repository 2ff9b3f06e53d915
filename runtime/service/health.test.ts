import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../bus/index.js';
import { auth, signedDelivery, startService, tempDir } from '../../test/service/fixtures.js';
import { buildHealth, type ConnectionHealthInput } from './health.js';

const connection = (id: string, connector: string, extra: Partial<ConnectionHealthInput> = {}): ConnectionHealthInput => ({
  id, connector, schedule: null, breaker: null, running: false, lastRun: undefined, nextRunAt: null, deadDeliveries: 0, ...extra,
});
const counts = { pending: 0, failed: 0, dead: 0 };
const LOCAL = { kind: 'local' as const, failing: undefined };
const RUNNING = { failing: undefined };

describe('buildHealth', () => {
  it('marks only the connection with dead letters degraded; its connector and the aggregate are degraded, the others ok', () => {
    const report = buildHealth({
      storeOk: true,
      bus: LOCAL, dispatcher: RUNNING,
      counts: { ...counts, dead: 2 },
      connectors: ['github', 'linear'],
      connections: [connection('a', 'github', { deadDeliveries: 2 }), connection('b', 'github'), connection('c', 'linear')],
    });
    expect(report.status).toBe('degraded');
    expect(report.connectors['github']).toMatchObject({ status: 'degraded', connections: { a: { status: 'degraded', dead_deliveries: 2 }, b: { status: 'ok', dead_deliveries: 0 } } });
    expect(report.connectors['linear']).toMatchObject({ status: 'ok', connections: { c: { status: 'ok' } } });
  });

  it('ignores dead letters of connections that are not configured any more (counts still list them)', () => {
    const report = buildHealth({ storeOk: true, bus: LOCAL, dispatcher: RUNNING, counts: { ...counts, dead: 1 }, connectors: ['github'], connections: [connection('b', 'github')] });
    expect(report).toMatchObject({ status: 'ok', deliveries: { dead: 1 }, connectors: { github: { status: 'ok' } } });
  });

  it('is down only when the store is; an open breaker takes its connection down and the aggregate to degraded', () => {
    const open = buildHealth({ storeOk: true, bus: LOCAL, dispatcher: RUNNING, counts, connectors: ['github'], connections: [connection('a', 'github', { breaker: 'open' }), connection('b', 'github')] });
    expect(open).toMatchObject({ status: 'degraded', connectors: { github: { status: 'degraded', connections: { a: { status: 'down' }, b: { status: 'ok' } } } } });
    const allDown = buildHealth({ storeOk: true, bus: LOCAL, dispatcher: RUNNING, counts, connectors: ['github'], connections: [connection('a', 'github', { breaker: 'open' })] });
    expect(allDown).toMatchObject({ status: 'degraded', connectors: { github: { status: 'down' } } });
    expect(buildHealth({ storeOk: false, bus: LOCAL, dispatcher: RUNNING, counts: undefined, connectors: ['github'], connections: [] })).toMatchObject({ status: 'down', store: 'down', deliveries: null });
  });

  it('is degraded, not down, when the dispatcher stopped by itself (webhooks are still stored, none is mapped), saying why; off without dispatch', () => {
    const stopped = { failing: 'the dispatcher thread stopped (boom): deliveries are stored but not mapped; restart the service' };
    expect(buildHealth({ storeOk: true, bus: LOCAL, dispatcher: stopped, counts, connectors: ['github'], connections: [connection('a', 'github')] })).toMatchObject({
      status: 'degraded', dispatcher: { status: 'down', error: stopped.failing }, connectors: { github: { status: 'ok' } },
    });
    expect(buildHealth({ storeOk: true, bus: LOCAL, dispatcher: null, counts, connectors: [], connections: [] })).toMatchObject({ status: 'ok', dispatcher: { status: 'off', error: null } });
    expect(buildHealth({ storeOk: true, bus: LOCAL, dispatcher: RUNNING, counts, connectors: [], connections: [] }).dispatcher).toEqual({ status: 'ok', error: null });
  });

  it('is down while the bus cannot publish deliveries (every webhook gets 503), saying why', () => {
    const failing = { kind: 'pubsub' as const, failing: 'Pub/Sub topic "connector-webhooks-github" has no subscription' };
    expect(buildHealth({ storeOk: true, bus: failing, dispatcher: RUNNING, counts, connectors: ['github'], connections: [connection('a', 'github')] })).toMatchObject({
      status: 'down', store: 'ok', bus: { kind: 'pubsub', status: 'down', error: failing.failing }, connectors: { github: { status: 'ok' } },
    });
    expect(buildHealth({ storeOk: true, bus: LOCAL, dispatcher: RUNNING, counts, connectors: [], connections: [] }).bus).toEqual({ kind: 'local', status: 'ok', error: null });
  });
});

describe('GET /health with a dead-lettered delivery', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('degrades the connection whose delivery is dead, not its sibling; a replay that succeeds restores ok', async () => {
    const state = { down: true };
    // Fault injection at the Bus interface: record publishing fails while `down`.
    const bus: Bus = {
      kind: 'local',
      publishDelivery: async () => {},
      publishRecords: async () => {
        if (state.down) throw new Error('bus unavailable');
      },
      close: async () => {},
    };
    const ctx = await startService(tmp.dir, { background: false, bus, dispatcher: { maxAttempts: 1 } });
    ctx.service.putConnection({ id: 'beta', connector: 'hooks', config: { webhook_secret: 'another secret' } }, 'api');
    const d = signedDelivery({ issueId: 5 });
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers })).statusCode).toBe(202);
    await ctx.service.dispatcher.drainOnce();
    expect((await ctx.service.store.findDeliveries(d.id, [{ connector: 'hooks', connection: 'acme' }]))[0]).toMatchObject({ status: 'dead' });

    const health = await ctx.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({
      status: 'degraded',
      deliveries: { dead: 1 },
      connectors: { hooks: { status: 'degraded', connections: { acme: { status: 'degraded', dead_deliveries: 1 }, beta: { status: 'ok', dead_deliveries: 0 } } } },
    });

    state.down = false;
    expect((await ctx.app.inject({ method: 'POST', url: `/api/deliveries/${encodeURIComponent(d.id)}/replay`, headers: auth })).statusCode).toBe(202);
    await ctx.service.dispatcher.drainOnce();
    expect((await ctx.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok', connectors: { hooks: { status: 'ok', connections: { acme: { status: 'ok', dead_deliveries: 0 } } } } });
    await ctx.close();
  });
});
