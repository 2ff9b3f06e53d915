import { describe, expect, it } from 'vitest';
import { createPubSubBus, recordsTopicName, subscribeDeliveries, type ReceivedDelivery } from '../../runtime/bus/index.js';
import { pubsubTestsSkipped } from '../support/pubsub-emulator.js';
import { tapTopic } from '../support/pubsub-tap.js';
import { pubsubForTests } from '../support/pubsub-test-env.js';
import { auth, signedDelivery, startService, tempDir } from './fixtures.js';

const projectId = 'gwi-service-test';

describe.skipIf(pubsubTestsSkipped())('the service on the Pub/Sub bus (real emulator)', () => {
  const emulated = pubsubForTests(projectId);

  /** A worker-side subscription on the hooks connector's deliveries that collects what arrives. */
  async function collectDeliveries(name: string, deadLetterTopic: string) {
    const received: ReceivedDelivery[] = [];
    const subscription = await subscribeDeliveries({
      projectId, connector: 'hooks', subscription: name, deadLetterTopic, maxDeliveryAttempts: 5, pubsub: emulated.pubsub,
      handler: async (delivery) => {
        received.push(delivery);
      },
    });
    return { received, subscription };
  }

  it('publishes each new delivery before answering 202, and the mapped records', async () => {
    const tmp = tempDir();
    const { received, subscription } = await collectDeliveries('svc-test-workers', 'svc-test-dead');
    // Records topic and a subscription on it, created before anything is published there.
    const recordsTap = await tapTopic(emulated.pubsub, recordsTopicName('hooks'), { name: 'svc-test-records' });

    const ctx = await startService(tmp.dir, { bus: createPubSubBus({ projectId, pubsub: emulated.pubsub }), dispatcher: { pollMs: 20 } });
    const d = signedDelivery({ issueId: 4242, title: 'via pubsub ✓' });
    const res = await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers });
    expect(res.statusCode).toBe(202);
    const dup = await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers });
    expect(dup.json()).toEqual({ id: d.id, duplicate: true });

    for (let i = 0; i < 200 && (received.length === 0 || recordsTap.messages.length === 0); i++) await new Promise((r) => setTimeout(r, 50));
    const records = recordsTap.messages.map((message) => JSON.parse(message.data.toString('utf8')) as unknown);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ connector: 'hooks', connection: 'acme', deliveryId: d.id, event: 'issues' });
    expect(received[0]!.body.equals(d.body)).toBe(true);
    expect(JSON.stringify(records)).toContain('4242');

    await ctx.close();
    await subscription.close();
    await recordsTap.close();
    tmp.cleanup();
  });

  it('marks a delivery done once the bus confirmed it, maps nothing itself, and sends replays to the workers', async () => {
    const tmp = tempDir();
    const { received, subscription } = await collectDeliveries('receiver-only-workers', 'receiver-only-dead');
    const ctx = await startService(tmp.dir, { bus: createPubSubBus({ projectId, pubsub: emulated.pubsub }), dispatch: false, dispatcher: { pollMs: 20 } });
    const d = signedDelivery({ issueId: 777 });
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers })).statusCode).toBe(202);
    for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
    expect((await ctx.service.store.findDeliveries(d.id, [{ connector: 'hooks', connection: 'acme' }]))[0]).toMatchObject({ status: 'done' });
    expect(ctx.service.store.listRecords('acme', 'issues', 10)).toEqual([]);
    const replay = await ctx.app.inject({ method: 'POST', url: `/api/deliveries/${encodeURIComponent(d.id)}/replay`, headers: auth });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ error: { code: 'REPLAY_ON_WORKERS' } });
    await ctx.close();
    await subscription.close();
    tmp.cleanup();
  });

  it('refuses to turn dispatch off on the local bus, where nothing would map the deliveries', async () => {
    const tmp = tempDir();
    await expect(startService(tmp.dir, { dispatch: false })).rejects.toMatchObject({ code: 'BUS_CONFIG' });
    tmp.cleanup();
  });
});
