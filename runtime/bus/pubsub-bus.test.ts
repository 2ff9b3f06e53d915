import { PubSub, type Message } from '@google-cloud/pubsub';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as http2Connect, createServer as createHttp2Server, type IncomingHttpHeaders } from 'node:http2';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emulatorForTests } from '../../test/support/pubsub-test-env.js';
import { pubsubTestsSkipped, type PubSubEmulator } from '../../test/support/pubsub-emulator.js';
import { tapTopic } from '../../test/support/pubsub-tap.js';
import {
  ATTR,
  createFileBodyStore,
  createLocalBus,
  createPubSubBus,
  decodeDeliveryData,
  recordsTopicName,
  subscribeDeliveries,
  webhooksTopicName,
  type ReceivedDelivery,
} from './index.js';

const projectId = 'gwi-test';
let emulator: PubSubEmulator;
let pubsub: PubSub;
let bodyDir: string;
let seq = 0;
const uniqueConnector = () => `conn${process.pid}x${(seq += 1)}`;

/** A collecting subscription on a topic (test/support/pubsub-tap.ts); `waitFor` asserts the count arrived. */
async function tap(topicName: string, ordered = false) {
  const t = await tapTopic(pubsub, topicName, { name: `${topicName}-tap-${(seq += 1)}`, ordered });
  return {
    ...t,
    async waitFor(count: number, timeoutMs = 20_000) {
      const messages = await t.waitFor(count, timeoutMs);
      expect(messages.length).toBeGreaterThanOrEqual(count);
      return messages;
    },
  };
}

const delivery = (connector: string, connection: string, n: number, body = Buffer.from(JSON.stringify({ n, text: 'héllo 🌍' }))) => ({
  connector,
  connection,
  deliveryId: `hook-1:${connection}-${n}`,
  event: 'issues',
  headers: { 'x-github-event': 'issues', 'x-github-delivery': `${connection}-${n}`, 'content-type': 'application/json' },
  body,
});

/**
 * The emulator behind a gRPC (HTTP/2) proxy that refuses GetTopic with PERMISSION_DENIED, as Pub/Sub
 * refuses it to an account holding only roles/pubsub.publisher (no pubsub.topics.get). Everything
 * else is passed through; `calls` lists the gRPC methods the client used.
 */
async function publishOnlyEndpoint(emulatorHost: string) {
  const upstream = http2Connect(`http://${emulatorHost}`);
  const calls: string[] = [];
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    calls.push(path.slice(path.lastIndexOf('/') + 1));
    if (path === '/google.pubsub.v1.Publisher/GetTopic') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '7', 'grpc-message': 'User not authorized to perform this action.' }, { endStream: true });
      return;
    }
    const request = upstream.request(headers);
    let trailers: IncomingHttpHeaders = {};
    request.on('response', (response) => stream.respond(response, { waitForTrailers: true }));
    request.on('trailers', (t) => (trailers = t));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(request);
    request.pipe(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    async close() {
      upstream.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.skipIf(pubsubTestsSkipped())('Pub/Sub bus (real emulator)', () => {
  beforeAll(async () => {
    emulator = await emulatorForTests();
    pubsub = new PubSub({ projectId });
    bodyDir = mkdtempSync(join(tmpdir(), 'gwi-bodies-'));
  });
  afterAll(async () => {
    await pubsub?.close();
    await emulator?.stop();
    if (bodyDir) rmSync(bodyDir, { recursive: true, force: true });
  });

  it('publishDelivery() creates the topic, resolves after the publish is confirmed, and carries attributes, headers and the exact body', async () => {
    const connector = uniqueConnector();
    const bus = createPubSubBus({ projectId });
    // the first publish creates the topic; a tap made first gets the message
    const t = await tap(webhooksTopicName(connector));
    const d = delivery(connector, 'acme', 1);
    await bus.publishDelivery(d);
    const [message] = await t.waitFor(1);
    expect(message!.orderingKey).toBe('acme');
    expect(message!.attributes).toMatchObject({
      [ATTR.deliveryId]: d.deliveryId,
      [ATTR.event]: 'issues',
      [ATTR.connector]: connector,
      [ATTR.connection]: 'acme',
      [ATTR.bodyBytes]: String(d.body.length),
    });
    const decoded = decodeDeliveryData(message!.data);
    expect(decoded.headers).toEqual(d.headers);
    expect(decoded.body.equals(d.body)).toBe(true);
    await t.close();
    await bus.close();
  });

  it('keeps publish order per connection (ordering key) through subscribeDeliveries', async () => {
    const connector = uniqueConnector();
    const bus = createPubSubBus({ projectId });
    const received: ReceivedDelivery[] = [];
    const sub = await subscribeDeliveries({
      projectId,
      pubsub,
      connector,
      subscription: `${connector}-workers`,
      deadLetterTopic: `${connector}-dead`,
      maxDeliveryAttempts: 5,
      handler: async (d) => void received.push(d),
    });
    const sent = [];
    for (let n = 0; n < 40; n += 1) sent.push(delivery(connector, n % 2 ? 'beta' : 'alpha', n));
    await Promise.all(sent.map((d) => bus.publishDelivery(d))); // all in flight at once
    const deadline = Date.now() + 20_000;
    while (received.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(sent.length);
    for (const connection of ['alpha', 'beta']) {
      const expected = sent.filter((d) => d.connection === connection).map((d) => d.deliveryId);
      expect(received.filter((d) => d.connection === connection).map((d) => d.deliveryId)).toEqual(expected);
    }
    expect(received[0]).toMatchObject({ connector, event: 'issues', attempt: 1 });
    // Never deleted for want of pulls (Pub/Sub's default: after 31 days): the topic would then drop deliveries.
    for (const name of [`${connector}-workers`, `${connector}-dead-hold`]) {
      const [metadata] = await pubsub.subscription(name).getMetadata();
      expect(metadata.expirationPolicy, name).toEqual({ ttl: null });
    }
    await sub.close();
    await bus.close();
  });

  it('stores a body over the message limit in the body store and the worker reads it back by reference', async () => {
    const connector = uniqueConnector();
    const store = createFileBodyStore(bodyDir);
    const bus = createPubSubBus({ projectId, bodyStore: store });
    const t = await tap(webhooksTopicName(connector));
    const received: ReceivedDelivery[] = [];
    const sub = await subscribeDeliveries({
      projectId,
      pubsub,
      connector,
      subscription: `${connector}-workers`,
      deadLetterTopic: `${connector}-dead`,
      maxDeliveryAttempts: 5,
      bodyStore: store,
      handler: async (d) => void received.push(d),
    });
    const big = randomBytes(10 * 1024 * 1024 + 17); // over Pub/Sub's 10 MB message limit
    await bus.publishDelivery(delivery(connector, 'acme', 1, big));
    const [message] = await t.waitFor(1);
    expect(message!.attributes[ATTR.bodyRef]).toMatch(/^file:/);
    expect(message!.data.length).toBeLessThan(1024);
    const deadline = Date.now() + 20_000;
    while (received.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(received[0]!.body.equals(big)).toBe(true);
    await sub.close();
    await t.close();
    await bus.close();
  });

  it('createTopics: false never checks the topic (a publish-only account may not get it) and publishes to an existing one', async () => {
    const connector = uniqueConnector();
    const proxy = await publishOnlyEndpoint(emulator.host);
    const client = new PubSub({ projectId, apiEndpoint: proxy.endpoint });
    await pubsub.topic(webhooksTopicName(connector)).create(); // created beforehand, by an admin
    const t = await tap(webhooksTopicName(connector));
    const bus = createPubSubBus({ projectId, pubsub: client, createTopics: false });
    await bus.publishDelivery(delivery(connector, 'acme', 1));
    expect((await t.waitFor(1))[0]!.attributes[ATTR.connection]).toBe('acme');
    expect(proxy.calls).not.toContain('GetTopic');
    expect(proxy.calls).toContain('Publish');
    await t.close();
    await bus.close();
    await client.close();
    await proxy.close();
  });

  it('createTopics: false with the topic missing fails the publish with BUS_PUBLISH naming the topic and the fix; it works once the topic exists', async () => {
    const connector = uniqueConnector();
    const topic = webhooksTopicName(connector);
    const bus = createPubSubBus({ projectId, createTopics: false });
    const error = await bus.publishDelivery(delivery(connector, 'acme', 1)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUS_PUBLISH', message: `Pub/Sub topic "${topic}" does not exist in project "${projectId}".` });
    expect((error as { hint?: string }).hint).toContain(`gcloud pubsub topics create ${topic}`);
    expect((error as { hint?: string }).hint).toContain('GWI_PUBSUB_CREATE_TOPICS=false');
    const [exists] = await pubsub.topic(topic).exists();
    expect(exists).toBe(false); // not created behind our back
    expect(bus.failing?.()).toContain('does not exist');
    await new Promise((r) => setTimeout(r, 300));
    expect(bus.failing?.()).toContain('does not exist'); // its check found the topic still missing
    await pubsub.topic(topic).create();
    await vi.waitFor(() => expect(bus.failing?.()).toBeUndefined(), { timeout: 8_000, interval: 200 });
    const t = await tap(topic);
    await bus.publishDelivery(delivery(connector, 'acme', 2)); // same ordering key: resumed after the failure
    expect((await t.waitFor(1))[0]!.attributes[ATTR.deliveryId]).toBe(delivery(connector, 'acme', 2).deliveryId);
    await t.close();
    await bus.close();
  });

  it('requireSubscription: no delivery is confirmed on a topic without a subscription (Pub/Sub would drop it); failing() says why until one is', async () => {
    const connector = uniqueConnector();
    const topic = webhooksTopicName(connector);
    const bus = createPubSubBus({ projectId, requireSubscription: true });
    const refused = await bus.publishDelivery(delivery(connector, 'acme', 1)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'BUS_PUBLISH', message: expect.stringContaining(`Pub/Sub topic "${topic}" has no subscription`) });
    expect((refused as { hint?: string }).hint).toMatch(/Start a worker/);
    expect(bus.failing?.()).toContain('has no subscription');
    const t = await tap(topic); // a worker's subscription, as far as Pub/Sub is concerned
    // failing() finds out by itself, without a publish (/health recovers without a webhook).
    await vi.waitFor(() => expect(bus.failing?.()).toBeUndefined(), { timeout: 8_000, interval: 200 });
    await bus.publishDelivery(delivery(connector, 'acme', 2));
    expect((await t.waitFor(1))[0]!.attributes[ATTR.deliveryId]).toBe(delivery(connector, 'acme', 2).deliveryId);
    expect(bus.failing?.()).toBeUndefined();
    await t.close();
    await bus.close();
  });

  it('a topic deleted after first use is created again by the next publish (and, with requireSubscription, waits for a subscription again)', async () => {
    const connector = uniqueConnector();
    const topic = webhooksTopicName(connector);
    const bus = createPubSubBus({ projectId, requireSubscription: true });
    const first = await tap(topic);
    await bus.publishDelivery(delivery(connector, 'acme', 1));
    await first.waitFor(1);
    await first.close();
    await pubsub.topic(topic).delete(); // e.g. an emulator restarted, or a topic deleted by hand
    const gone = await bus.publishDelivery(delivery(connector, 'acme', 2)).catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: 'BUS_PUBLISH', message: expect.stringContaining('does not exist') });
    expect((gone as { hint?: string }).hint).toContain('the next publish creates it again');
    const noSubscriber = await bus.publishDelivery(delivery(connector, 'acme', 3)).catch((e: unknown) => e);
    expect(noSubscriber).toMatchObject({ code: 'BUS_PUBLISH', message: expect.stringContaining('has no subscription') });
    expect((await pubsub.topic(topic).exists())[0]).toBe(true); // created again
    const second = await tap(topic);
    await bus.publishDelivery(delivery(connector, 'acme', 4));
    expect((await second.waitFor(1))[0]!.attributes[ATTR.deliveryId]).toBe(delivery(connector, 'acme', 4).deliveryId);
    await second.close();
    await bus.close();
  });

  it('refuses a body over the limit when no body store is configured', async () => {
    const bus = createPubSubBus({ projectId, maxInlineBytes: 1_000 });
    await expect(bus.publishDelivery(delivery(uniqueConnector(), 'acme', 1, Buffer.alloc(2_000)))).rejects.toMatchObject({ code: 'BUS_CONFIG' });
    await bus.close();
  });

  it('moves a delivery to the dead-letter topic after maxDeliveryAttempts failed handler attempts; others are acked', async () => {
    const connector = uniqueConnector();
    const deadLetterTopic = `${connector}-dead`;
    const bus = createPubSubBus({ projectId });
    const attempts = new Map<string, number[]>();
    const handled: string[] = [];
    const sub = await subscribeDeliveries({
      projectId,
      pubsub,
      connector,
      subscription: `${connector}-workers`,
      deadLetterTopic,
      maxDeliveryAttempts: 5,
      ordered: false, // the emulator never dead-letters on ordered subscriptions (real Pub/Sub does)
      retryBackoffSeconds: { minimum: 0, maximum: 1 },
      handler: async (d) => {
        attempts.set(d.deliveryId, [...(attempts.get(d.deliveryId) ?? []), d.attempt]);
        if (d.connection === 'poison') throw new Error('handler fails on purpose');
        handled.push(d.deliveryId);
      },
    });
    // the worker created `<dead letter topic>-hold` so dead letters are retained; read them from it
    const dead: Message[] = [];
    const hold = pubsub.subscription(`${deadLetterTopic}-hold`);
    hold.on('message', (m: Message) => {
      dead.push(m);
      m.ack();
    });
    const poison = delivery(connector, 'poison', 1);
    const good = delivery(connector, 'fine', 2);
    await bus.publishDelivery(poison);
    await bus.publishDelivery(good);
    const deadline = Date.now() + 20_000;
    while (dead.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(dead).toHaveLength(1);
    expect(dead[0]!.attributes[ATTR.deliveryId]).toBe(poison.deliveryId);
    expect(decodeDeliveryData(dead[0]!.data).body.equals(poison.body)).toBe(true);
    expect(attempts.get(poison.deliveryId)).toEqual([1, 2, 3, 4, 5]);
    expect(handled).toEqual([good.deliveryId]);
    await hold.close();
    await sub.close();
    await bus.close();
  });

  it('fails with BUS_PUBLISH within publishTimeoutMs when Pub/Sub is unreachable (never hangs a receiver)', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const unreachable = new PubSub({ projectId, apiEndpoint: `127.0.0.1:${closedPort}` });
    const bus = createPubSubBus({ projectId, pubsub: unreachable, publishTimeoutMs: 300 });
    const started = Date.now();
    await expect(bus.publishDelivery(delivery(uniqueConnector(), 'acme', 1))).rejects.toMatchObject({ code: 'BUS_PUBLISH' });
    expect(Date.now() - started).toBeLessThan(10_000); // bounded by the deadline, not by gRPC retries
    await bus.close();
    await unreachable.close();
  });

  it('rejects maxDeliveryAttempts outside 5..100 with BUS_CONFIG', async () => {
    await expect(
      subscribeDeliveries({ projectId, pubsub, connector: 'x', subscription: 's', deadLetterTopic: 'd', maxDeliveryAttempts: 2, handler: async () => {} }),
    ).rejects.toMatchObject({ code: 'BUS_CONFIG' });
  });

  it('publishRecords() sends one message per record to connector-records-<connector>', async () => {
    const connector = uniqueConnector();
    const bus = createPubSubBus({ projectId });
    const t = await tap(recordsTopicName(connector), true);
    const records = Array.from({ length: 25 }, (_, i) => ({ id: i, title: `issue ${i}` }));
    // Versions as the pipeline gives them: an instant, a string, none.
    const versions = (i: number) => (i === 0 ? 1748736000000 : i === 1 ? 'W/abc' : null);
    await bus.publishRecords(connector, 'acme', 'issues', records.map((data, i) => ({ data, version: versions(i) })));
    await bus.publishRecords(connector, 'acme', 'issues', []); // nothing to do
    const messages = await t.waitFor(25);
    expect(messages.map((m) => JSON.parse(m.data.toString('utf8')))).toEqual(records);
    expect(messages[2]!.attributes).toEqual({ [ATTR.connector]: connector, [ATTR.connection]: 'acme', [ATTR.stream]: 'issues' });
    expect(JSON.parse(messages[0]!.attributes[ATTR.version]!)).toBe(1748736000000);
    expect(JSON.parse(messages[1]!.attributes[ATTR.version]!)).toBe('W/abc');
    expect(messages[0]!.orderingKey).toBe('acme');
    await t.close();
    await bus.close();
  });
});

describe('createLocalBus', () => {
  it('is a no-op: the SQLite inbox is the queue', async () => {
    const bus = createLocalBus();
    expect(bus.kind).toBe('local');
    await bus.publishDelivery(delivery('c', 'x', 1));
    await bus.publishRecords('c', 'x', 's', [{ data: { id: 1 } }]);
    await bus.close();
  });
});
