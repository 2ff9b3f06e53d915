import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, DeliveryMessage } from '../../runtime/bus/index.js';
import { signedDelivery, startService, tempDir } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** A Pub/Sub-kind bus that fails while `down`: fault injection at the Bus interface (the emulator test covers the real one). */
function unreliableBus() {
  const state = { down: true, published: [] as DeliveryMessage[] };
  const bus: Bus = {
    kind: 'pubsub',
    publishDelivery: async (delivery) => {
      if (state.down) throw new Error('publish not confirmed');
      state.published.push(delivery);
    },
    publishRecords: async () => {},
    close: async () => {},
  };
  return { bus, state };
}

describe('ingest with a bus: no 2xx before the bus confirmed', () => {
  it('answers 503 when the publish fails, publishes on the provider’s retry, and only once', async () => {
    const { bus, state } = unreliableBus();
    const ctx = await startService(tmp.dir, { bus, background: false });
    const d = signedDelivery();
    const post = () => ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers });

    const first = await post();
    expect(first.statusCode).toBe(503);
    expect(first.json().error.code).toBe('BUS_PUBLISH');
    expect(state.published).toHaveLength(0);

    state.down = false;
    const retry = await post();
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ id: d.id, duplicate: true });
    expect(state.published.map((p) => p.deliveryId)).toEqual([d.id]);

    expect((await post()).json()).toEqual({ id: d.id, duplicate: true });
    expect(state.published).toHaveLength(1);
    expect(ctx.service.store.listDeliveries({ limit: 10 })).toHaveLength(1);
    await ctx.close();
  });
});
