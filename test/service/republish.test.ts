import { type Message } from '@google-cloud/pubsub';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { ConnectorError } from '../../runtime/errors/index.js';
import { ATTR, createPubSubBus, webhooksTopicName, type Bus } from '../../runtime/bus/index.js';
import { pubsubTestsSkipped } from '../support/pubsub-emulator.js';
import { tapTopic, type Tap } from '../support/pubsub-tap.js';
import { pubsubForTests } from '../support/pubsub-test-env.js';
import { auth, signedDelivery, startService, tempDir } from './fixtures.js';

// A project of its own: other test files publish to `connector-webhooks-hooks` in theirs.
const projectId = 'gwi-republish-test';

/**
 * The real Pub/Sub bus, failing while `down`: fault injection at the Bus interface, so a receiver's
 * publish fails as it does when Pub/Sub is unreachable, and what does get through reaches the emulator.
 */
function flakyBus(real: Bus) {
  const state = { down: true, calls: 0 };
  const bus: Bus = {
    kind: real.kind,
    publishDelivery: async (delivery) => {
      state.calls++;
      if (state.down) throw new Error('publish not confirmed');
      await real.publishDelivery(delivery);
    },
    publishRecords: (...args) => real.publishRecords(...args),
    close: () => real.close(),
  };
  return { bus, state };
}

const idsOf = (messages: Message[]) => messages.map((m) => m.attributes[ATTR.deliveryId]);

describe.skipIf(pubsubTestsSkipped())('a receiver without dispatch republishes what Pub/Sub did not confirm (real emulator)', () => {
  const emulated = pubsubForTests(projectId);

  async function receiver(tapName: string, republish: { intervalMs: number; graceMs: number }) {
    const tmp = tempDir();
    // The topic and a subscription on it exist before anything is published (Pub/Sub keeps nothing for later ones).
    const tap: Tap = await tapTopic(emulated.pubsub, webhooksTopicName('hooks'), { name: tapName });
    const { bus, state } = flakyBus(createPubSubBus({ projectId, pubsub: emulated.pubsub }));
    // The service's clock, moved by hand: a delivery becomes old enough to republish only when a test says so.
    const clock = { now: Date.now() };
    const ctx = await startService(tmp.dir, { bus, dispatch: false, republish, now: () => clock.now });
    const post = (d: ReturnType<typeof signedDelivery>) => ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers });
    const status = async (id: string) => (await ctx.service.store.findDeliveries(id, [{ connector: 'hooks', connection: 'acme' }]))[0]?.status;
    return {
      ctx, tap, state, post, status, clock,
      async close() {
        await ctx.close();
        await tap.close();
        tmp.cleanup();
      },
    };
  }

  it('answers 503 while the topic has no subscription (nothing would keep the delivery), /health down saying why; publishes it once a worker subscribes', async () => {
    const tmp = tempDir();
    const connector = 'hooks';
    await emulated.pubsub.topic(webhooksTopicName(connector)).delete().catch(() => undefined); // no subscription left from other tests
    const bus = createPubSubBus({ projectId, pubsub: emulated.pubsub, requireSubscription: true });
    const clock = { now: Date.now() };
    const ctx = await startService(tmp.dir, { bus, dispatch: false, republish: { intervalMs: 20, graceMs: 1_000 }, now: () => clock.now });
    try {
      const d = signedDelivery({ issueId: 510 });
      const refused = await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers });
      expect([refused.statusCode, refused.json().error.code]).toEqual([503, 'BUS_PUBLISH']);
      const health = await ctx.app.inject({ method: 'GET', url: '/health' });
      expect([health.statusCode, health.json().bus]).toEqual([503, { kind: 'pubsub', status: 'down', error: expect.stringContaining('has no subscription') }]);

      const tap = await tapTopic(emulated.pubsub, webhooksTopicName(connector), { name: 'republish-first-subscriber' });
      clock.now += 2_000;
      expect(idsOf(await tap.waitFor(1))).toEqual([d.id]);
      await vi.waitFor(async () => expect((await ctx.service.store.findDeliveries(d.id, [{ connector, connection: 'acme' }]))[0]?.status).toBe('done'), { timeout: 5_000 });
      expect((await ctx.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok', bus: { status: 'ok', error: null } });
      await tap.close();
    } finally {
      await ctx.close();
      tmp.cleanup();
    }
  });

  it('publishes a delivery answered 503 without any retry by the sender, marks it done, and republishes nothing confirmed', async () => {
    const r = await receiver('republish-loop', { intervalMs: 20, graceMs: 30_000 });
    const stranded = signedDelivery({ issueId: 501 });
    const first = await r.post(stranded);
    expect(first.statusCode).toBe(503);
    expect(first.json().error.code).toBe('BUS_PUBLISH');
    expect(await r.status(stranded.id)).toBe('pending');

    // Pub/Sub is back; the sender (GitHub) never retries. The receiver's own loop publishes it once
    // the grace period (for requests still publishing) is over.
    r.state.down = false;
    r.clock.now += 30_000;
    const messages = await r.tap.waitFor(1);
    expect(idsOf(messages)).toEqual([stranded.id]);
    expect(messages[0]!.data.length).toBeGreaterThan(0);
    for (let i = 0; i < 200 && (await r.status(stranded.id)) !== 'done'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await r.status(stranded.id)).toBe('done');

    // A delivery confirmed on its request is done at once: no pass publishes it again, even once it
    // is past the grace period.
    const confirmed = signedDelivery({ issueId: 502 });
    expect((await r.post(confirmed)).statusCode).toBe(202);
    expect(await r.status(confirmed.id)).toBe('done');
    r.clock.now += 60_000;
    expect(await r.ctx.service.republisher!.drainOnce()).toBe(0);
    const calls = r.state.calls;
    await r.tap.waitFor(2);
    expect(await r.ctx.service.republisher!.drainOnce()).toBe(0);
    expect(r.state.calls).toBe(calls);
    expect(idsOf(r.tap.messages).sort()).toEqual([stranded.id, confirmed.id].sort());
    await r.close();
  });

  it('replays a delivery that never reached Pub/Sub by publishing it, and sends replays of confirmed ones to the workers', async () => {
    // A grace of an hour: only the replay can make the delivery due.
    const r = await receiver('republish-replay', { intervalMs: 3_600_000, graceMs: 3_600_000 });
    const d = signedDelivery({ issueId: 503 });
    expect((await r.post(d)).statusCode).toBe(503);
    r.state.down = false;
    expect(await r.ctx.service.republisher!.drainOnce()).toBe(0);
    expect(r.tap.messages).toHaveLength(0);

    const replay = await r.ctx.app.inject({ method: 'POST', url: `/api/deliveries/${encodeURIComponent(d.id)}/replay`, headers: auth });
    expect(replay.statusCode).toBe(202);
    expect(idsOf(await r.tap.waitFor(1))).toEqual([d.id]);
    for (let i = 0; i < 200 && (await r.status(d.id)) !== 'done'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await r.status(d.id)).toBe('done');

    // Now the workers have it: a failure since is theirs, replayed from their dead-letter topic.
    const again = await r.ctx.app.inject({ method: 'POST', url: `/api/deliveries/${encodeURIComponent(d.id)}/replay`, headers: auth });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'REPLAY_ON_WORKERS' } });
    expect(idsOf(r.tap.messages)).toEqual([d.id]);
    await r.close();
  });
});

/** A Pub/Sub-kind bus that never confirms, counting the publishes it was asked for. */
function downBus() {
  const state = { calls: 0 };
  const bus: Bus = {
    kind: 'pubsub',
    publishDelivery: async () => {
      state.calls++;
      throw new ConnectorError('BUS_PUBLISH', 'publish not confirmed', { hint: 'Check Pub/Sub.' });
    },
    publishRecords: async () => {},
    close: async () => {},
  };
  return { bus, state };
}

describe('the republisher while Pub/Sub stays down', () => {
  it('keeps the delivery pending, backs off between passes and logs the failure once per streak', async () => {
    const tmp = tempDir();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const { bus, state } = downBus();
    const ctx = await startService(tmp.dir, { bus, dispatch: false, logger, republish: { intervalMs: 1, graceMs: 0, backoff: { baseMs: 1, maxMs: 2 } } });
    const d = signedDelivery({ issueId: 504 });
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers })).statusCode).toBe(503);
    for (let i = 0; i < 500 && state.calls < 6; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(state.calls).toBeGreaterThanOrEqual(6);
    // Nothing counted against the delivery: the outage is Pub/Sub's, so it never goes dead.
    expect(ctx.service.store.listDeliveries({ limit: 10 })).toMatchObject([{ id: d.id, status: 'pending', attempts: 0 }]);
    await ctx.close();
    const failures = lines.filter((line) => line.includes('publishing stranded deliveries failed'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).not.toContain('Issue');
    expect(JSON.parse(failures[0]!)).toMatchObject({ err: 'publish not confirmed', code: 'BUS_PUBLISH', hint: 'Check Pub/Sub.' }); // what to do, not only what failed
    tmp.cleanup();
  });

  it('only completes a delivery whose publish was confirmed but not yet marked done (a crash in between)', async () => {
    const tmp = tempDir();
    const { bus, state } = downBus();
    const ctx = await startService(tmp.dir, { bus, dispatch: false, background: false, republish: { graceMs: 0 } });
    const d = signedDelivery({ issueId: 505 });
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers })).statusCode).toBe(503);
    const [row] = ctx.service.store.listDeliveries({ limit: 10 });
    await ctx.service.store.markPublished(row!.seq, Date.now());
    const calls = state.calls;
    expect(await ctx.service.republisher!.drainOnce()).toBe(1);
    expect(state.calls).toBe(calls);
    expect(ctx.service.store.getDelivery(row!.seq)).toMatchObject({ status: 'done' });
    await ctx.close();
    tmp.cleanup();
  });
});
