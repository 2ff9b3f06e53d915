import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, createFileBodyStore, createPubSubBus, decodeDeliveryData, recordsTopicName, webhooksTopicName, type Bus } from '../../runtime/bus/index.js';
import { loadManifest, parseManifest, type LoadedManifest } from '../../runtime/manifest/index.js';
import { createService, type Service } from '../../runtime/service/index.js';
import { deadLetterTopicName, startWorker, workerSubscriptionName, type Worker, type WorkerOptions } from '../../runtime/worker/index.js';
import { pubsubTestsSkipped, type PubSubEmulator } from '../support/pubsub-emulator.js';
import { emulatorForTests } from '../support/pubsub-test-env.js';
import { githubHeaders, githubIssuePayload, REPO_ROOT, serveEnv, writeConnectionsFile } from '../support/serve-process.js';
import { HOOKS_MANIFEST, SECRET, signedDelivery, TEST_ENV } from './fixtures.js';

/**
 * The scale-out pair against the real Pub/Sub emulator: a receiver (the service with the Pub/Sub bus,
 * its own data dir) publishes verified deliveries; a worker (its own data dir) pulls them, dedupes,
 * maps, stores and publishes records, and acks only after that. The receiver's local dispatcher is
 * off (`background: false`), so every record seen here comes from the worker.
 */
const projectId = 'gwi-worker-test';
// The hooks fixture with a map that throws on one payload: a poison delivery for the dead-letter test.
const MANIFEST = HOOKS_MANIFEST.replace(
  `map: '{ "id": id, "title": title, "repo": $partition.repo }'`,
  `map: '{ "id": id, "title": title = "poison" ? $error("cannot map a poison issue") : title, "repo": $partition.repo }'`,
);
const connection = { id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET, token: 'tok_abcdef' } };

let emulator: PubSubEmulator;
let pubsub: PubSub;
let dir: string;
let manifest: LoadedManifest;
let receiver: Service;
let receiverBus: Bus;
const cleanups: Array<() => Promise<unknown>> = [];

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** A subscription that collects (and acks) what reaches a topic from now on. */
async function tap(topicName: string, name: string) {
  const topic = pubsub.topic(topicName);
  const [exists] = await topic.exists();
  if (!exists) await topic.create().catch(() => {});
  const [subscription] = await topic.createSubscription(name, { enableMessageOrdering: true }); // order per connection is asserted
  const messages: Message[] = [];
  subscription.on('message', (m: Message) => {
    messages.push(m);
    m.ack();
  });
  cleanups.push(() => subscription.close());
  return messages;
}

async function worker(prefix: string, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  const started = await startWorker({
    dataDir: join(dir, `worker-${prefix}`), projectId, pubsub, subscriptionPrefix: prefix, manifests: [manifest], connections: [connection],
    bodyStore: createFileBodyStore(join(dir, 'shared-bodies')), env: TEST_ENV, ...extra,
  });
  cleanups.push(() => started.close());
  return started;
}

async function ingest(delivery: ReturnType<typeof signedDelivery>) {
  const reply = await receiver.ingest('hooks', 'acme', delivery.body, delivery.headers, 'application/json');
  expect(reply.status, JSON.stringify(reply.body)).toBe(202);
}

describe.skipIf(pubsubTestsSkipped())('worker (real Pub/Sub emulator)', () => {
  beforeAll(async () => {
    emulator = await emulatorForTests();
    pubsub = new PubSub({ projectId });
    dir = mkdtempSync(join(tmpdir(), 'gwi-worker-'));
    manifest = parseManifest(MANIFEST, 'hooks.yaml');
    // Bodies over 2 KB travel by reference through the shared body store.
    receiverBus = createPubSubBus({ projectId, pubsub, bodyStore: createFileBodyStore(join(dir, 'shared-bodies')), maxInlineBytes: 2_048 });
    receiver = await createService({ dataDir: join(dir, 'receiver'), manifests: [manifest], env: TEST_ENV, bus: receiverBus, background: false });
    receiver.putConnection(connection, 'api');
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await receiver?.close();
    await pubsub?.close();
    await emulator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('maps signed deliveries into the worker store and the records topic; a body by reference is read back', async () => {
    const w = await worker('flow-');
    expect(w.subscriptions).toEqual([workerSubscriptionName('hooks', 'flow-')]);
    const records = await tap(recordsTopicName('hooks'), 'flow-records-tap');
    const published = await tap(webhooksTopicName('hooks'), 'flow-webhooks-tap');
    const big = 'x'.repeat(4_000);
    const sent = [signedDelivery({ issueId: 101, title: 'first' }), signedDelivery({ issueId: 102, title: 'second' }), signedDelivery({ issueId: 103, title: big })];
    for (const delivery of sent) await ingest(delivery);

    await until(() => w.stats().processed === 3 && records.length === 3);
    expect(w.stats()).toEqual({ processed: 3, duplicates: 0, failed: 0 });
    await until(() => published.length === 3);
    expect(published.map((m) => m.attributes[ATTR.bodyRef] !== undefined)).toEqual([false, false, true]);
    const stored = w.store.listRecords('acme', 'issues', 10);
    expect(stored.map((r) => [r.key, r.data['title']])).toEqual([['101', 'first'], ['102', 'second'], ['103', big]]);
    expect(stored[0]!.data).toEqual({ id: 101, title: 'first', repo: 'acme/api' });
    expect(w.store.listDeliveries({ limit: 10 }).map((d) => [d.id, d.status])).toEqual(sent.map((d) => [d.id, 'done']));
    // Same records on the topic, in order (ordering key = connection), with their stream.
    expect(records.map((m) => JSON.parse(m.data.toString('utf8')).id)).toEqual([101, 102, 103]);
    expect(records[0]!.attributes).toMatchObject({ [ATTR.connector]: 'hooks', [ATTR.connection]: 'acme', [ATTR.stream]: 'issues' });
    expect(records[0]!.orderingKey).toBe('acme');
    // The receiver only stored and published: mapping happened on the worker.
    expect(receiver.store.listRecords('acme', 'issues', 10)).toEqual([]);
    await w.close(); // each prefix is its own pool that sees every delivery: stop it before the next test
  }, 60_000);

  it('processes a delivery published twice once (dedupe on connector + connection + delivery id)', async () => {
    const w = await worker('dedupe-');
    const records = await tap(recordsTopicName('hooks'), 'dedupe-records-tap');
    const delivery = signedDelivery({ issueId: 201, title: 'twice' });
    // With the credential headers a receiver of an older release published along: the worker keeps none.
    const headers = { ...delivery.headers, authorization: 'Bearer old-release-credential', cookie: 'sid=old-release-cookie' };
    const message = { connector: 'hooks', connection: 'acme', deliveryId: delivery.id, event: 'issues', headers, body: delivery.body };
    // Twice on the topic: what a publish confirmed after the receiver's deadline, or two receivers, produce.
    await receiverBus.publishDelivery(message);
    await receiverBus.publishDelivery(message);

    await until(() => w.stats().processed + w.stats().duplicates === 2);
    expect(w.stats()).toEqual({ processed: 1, duplicates: 1, failed: 0 });
    expect(w.store.listDeliveries({ limit: 10 })).toHaveLength(1);
    expect(w.store.listRecords('acme', 'issues', 10).map((r) => r.key)).toEqual(['201']);
    await new Promise((r) => setTimeout(r, 300)); // a second record would have arrived by now
    expect(records.map((m) => JSON.parse(m.data.toString('utf8')).id)).toEqual([201]);
    await w.close();
    const workerDir = join(dir, 'worker-dedupe-');
    const bytes = readdirSync(workerDir).filter((name) => name.startsWith('gwi.db')).map((name) => readFileSync(join(workerDir, name)).toString('latin1')).join('');
    for (const secret of ['old-release-credential', 'old-release-cookie']) expect(bytes).not.toContain(secret);
  }, 60_000);

  it('nacks a delivery whose mapping fails; after max attempts it is on the dead-letter topic, the others are done', async () => {
    const w = await worker('poison-', {
      maxAttempts: 5,
      ordered: false, // the emulator never dead-letters on ordered subscriptions (Pub/Sub in Google Cloud does)
      retryBackoffSeconds: { minimum: 0, maximum: 1 },
    });
    const dead = await tap(deadLetterTopicName('hooks', 'poison-'), 'poison-dead-tap');
    const poison = signedDelivery({ issueId: 301, title: 'poison' });
    const good = signedDelivery({ issueId: 302, title: 'fine' });
    await ingest(poison);
    await ingest(good);

    await until(() => dead.length === 1);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.attributes[ATTR.deliveryId]).toBe(poison.id);
    expect(decodeDeliveryData(dead[0]!.data).body.equals(poison.body)).toBe(true);
    expect(w.stats()).toEqual({ processed: 1, duplicates: 0, failed: 5 });
    const rows = new Map(w.store.listDeliveries({ limit: 10 }).map((d) => [d.id, d]));
    expect(rows.get(poison.id)).toMatchObject({ status: 'dead', attempts: 5 });
    expect(rows.get(poison.id)!.error).toContain('cannot map a poison issue');
    expect(rows.get(good.id)).toMatchObject({ status: 'done' });
    expect(w.store.listRecords('acme', 'issues', 10).map((r) => r.key)).toEqual(['302']);
    await w.close();
  }, 60_000);

  it('deletes its copies of deliveries after the retention, whatever their status (a killed worker\'s pending row too)', async () => {
    const DAY = 24 * 3_600_000;
    let clock = Date.now();
    const w = await worker('retention-', { retentionMs: 2 * DAY, now: () => clock });
    const delivery = signedDelivery({ issueId: 401, title: 'kept a while' });
    // With the credential headers a receiver of an older release published along: the worker keeps none.
    const headers = { ...delivery.headers, authorization: 'Bearer old-release-credential', cookie: 'sid=old-release-cookie' };
    const message = { connector: 'hooks', connection: 'acme', deliveryId: delivery.id, event: 'issues', headers, body: delivery.body };
    await receiverBus.publishDelivery(message);
    await until(() => w.stats().processed === 1);
    // What a worker killed mid-delivery leaves: its row pending (Pub/Sub redelivered the message elsewhere).
    await w.store.insertDelivery({ ...message, contentType: 'application/json', receivedAt: clock });
    await w.store.insertDelivery({ ...message, deliveryId: 'killed-mid-delivery', contentType: 'application/json', receivedAt: clock });
    expect(w.store.deliveryCounts()).toMatchObject({ done: 1, pending: 1 });

    clock += 1 * DAY;
    expect(await w.retention.runOnce()).toBe(0);
    clock += 2 * DAY;
    expect(await w.retention.runOnce()).toBe(2);
    expect(w.store.listDeliveries({ limit: 10 })).toEqual([]);
    expect(w.store.listRecords('acme', 'issues', 10).map((r) => r.key)).toEqual(['401']); // records stay
    // Past the dedupe window, the same message is a new delivery.
    await receiverBus.publishDelivery(message);
    await until(() => w.stats().processed === 2);
    expect(w.stats()).toMatchObject({ processed: 2, duplicates: 0 });
    await w.close();
  }, 60_000);

  it('gwi-connectors worker (child process) maps a GitHub delivery and stops cleanly on SIGTERM', async () => {
    const github = await loadManifest('github');
    const cliDir = join(dir, 'cli');
    const connectionsFile = writeConnectionsFile(mkdtempSync(join(dir, 'cli-conf-')), 'acme-gh');
    const env = serveEnv({ PUBSUB_EMULATOR_HOST: emulator.host, METADATA_SERVER_DETECTION: 'none', GWI_PUBSUB_PROJECT: projectId, LOG_LEVEL: 'info', ...TEST_ENV });
    const records = await tap(recordsTopicName('github'), 'cli-records-tap');
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'runtime/cli/main.ts'), 'worker', '--data', cliDir, '--connections', connectionsFile, '--subscription-prefix', 'cli-', '--max-attempts', '5'], {
      cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(signal ?? code ?? -1)));
    cleanups.push(async () => { if (child.exitCode === null) child.kill('SIGKILL'); });
    await until(() => output.includes('worker pulling') || child.exitCode !== null, 30_000);
    expect(output).toContain('worker pulling');
    expect(output).toContain(workerSubscriptionName('github', 'cli-'));

    // A receiver for the bundled GitHub manifest, on its own data dir, publishing to the same project.
    const bus = createPubSubBus({ projectId, pubsub });
    const ghReceiver = await createService({ dataDir: join(dir, 'gh-receiver'), manifests: [github], env: serveEnv(TEST_ENV), bus, background: false, connectionsFile });
    cleanups.push(() => ghReceiver.close());
    const body = githubIssuePayload(1024);
    const reply = await ghReceiver.ingest('github', 'acme-gh', body, githubHeaders(body, 'worker-cli-1'), 'application/json');
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);

    await until(() => records.length >= 1);
    expect(records.length, output).toBe(1);
    expect(JSON.parse(records[0]!.data.toString('utf8'))).toMatchObject({ number: 1347, repo: 'acme/api' });
    expect(records[0]!.attributes).toMatchObject({ [ATTR.connection]: 'acme-gh', [ATTR.stream]: 'issues' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"stopped"');
    expect(output).toMatch(/"processed":1/);
  }, 60_000);

  it('refuses to start without a connection whose connector declares webhooks', async () => {
    await expect(startWorker({ dataDir: join(dir, 'empty'), projectId, pubsub, manifests: [manifest], env: TEST_ENV })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    writeFileSync(join(dir, 'bad.yaml'), 'connections: 3\n');
    await expect(startWorker({ dataDir: join(dir, 'empty'), projectId, pubsub, connectionsFile: join(dir, 'bad.yaml'), env: TEST_ENV })).rejects.toMatchObject({ code: 'CONFIG_FILE' });
  });
});
