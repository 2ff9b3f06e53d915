import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileBodyStore, createPubSubBus, type Bus } from '../../runtime/bus/index.js';
import { parseManifest, type LoadedManifest } from '../../runtime/manifest/index.js';
import { createService, type Service } from '../../runtime/service/index.js';
import { startWorker, workerSubscriptionName } from '../../runtime/worker/index.js';
import { pubsubTestsSkipped, type PubSubEmulator } from '../support/pubsub-emulator.js';
import { emulatorForTests } from '../support/pubsub-test-env.js';
import { serveEnv, writeConnectionsFile } from '../support/serve-process.js';
import { startWorkerProcess } from '../support/worker-process.js';
import { HOOKS_MANIFEST, SECRET, signedDelivery, TEST_ENV } from './fixtures.js';

/**
 * How a worker fails, against the real Pub/Sub emulator: a pull stream Pub/Sub will not retry (here:
 * the subscription deleted under the worker) stops the worker with one clear error and, for the
 * `worker` command, a non-zero exit, so a supervisor restarts it; a body directory that is not the
 * receivers' is named, with the flag that sets it, on the message that cannot be handled.
 */
const projectId = 'gwi-worker-failures-test';
const connection = { id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET, token: 'tok_abcdef' } };

let emulator: PubSubEmulator;
let pubsub: PubSub;
let dir: string;
let manifest: LoadedManifest;
const cleanups: Array<() => Promise<unknown>> = [];

interface Entry { level: string; obj: Record<string, unknown>; msg: string }
function recordingLogger() {
  const entries: Entry[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => {
    entries.push(typeof obj === 'string' ? { level, obj: {}, msg: obj } : { level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  };
  return { entries, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe.skipIf(pubsubTestsSkipped())('worker failures (real Pub/Sub emulator)', () => {
  beforeAll(async () => {
    emulator = await emulatorForTests();
    pubsub = new PubSub({ projectId });
    dir = mkdtempSync(join(tmpdir(), 'gwi-worker-failures-'));
    manifest = parseManifest(HOOKS_MANIFEST, 'hooks.yaml');
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await pubsub?.close();
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a deleted subscription stops the worker: one error naming it and the fix, everything closed', async () => {
    const { entries, logger } = recordingLogger();
    const worker = await startWorker({
      dataDir: join(dir, 'in-process'), projectId, pubsub, subscriptionPrefix: 'gone-', manifests: [manifest], connections: [connection],
      bodyStore: createFileBodyStore(join(dir, 'bodies')), env: TEST_ENV, logger,
    });
    cleanups.push(() => worker.close());
    const name = workerSubscriptionName('hooks', 'gone-');

    await pubsub.subscription(name).delete();

    const failure = await worker.failed;
    expect(failure).toMatchObject({ code: 'BUS_CONFIG' });
    expect(failure.message).toContain(name);
    expect(failure.message).toMatch(/does not exist|deleted/);
    expect(failure.hint).toMatch(/restart/i);
    const errors = entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => e.msg), JSON.stringify(entries)).toEqual(['worker: stopped pulling']);
    expect(errors[0]!.obj).toMatchObject({ subscription: name, code: 'BUS_CONFIG' });
    expect(String(errors[0]!.obj['hint'])).toMatch(/restart/i);
    expect(entries.some((e) => e.msg.includes('message not handled'))).toBe(false);
    // Closed by itself: the database is closed (a query fails) and close() again is harmless.
    expect(() => worker.store.listDeliveries({ limit: 1 })).toThrow();
    await worker.close();
  });

  it('gwi-connectors worker (child process) exits 1 with a clear error when its subscription is deleted', async () => {
    const cliDir = join(dir, 'cli');
    const connectionsFile = writeConnectionsFile(mkdtempSync(join(dir, 'cli-conf-')), 'acme-gh');
    const env = serveEnv({ PUBSUB_EMULATOR_HOST: emulator.host, METADATA_SERVER_DETECTION: 'none', GWI_PUBSUB_PROJECT: projectId, LOG_LEVEL: 'info', ...TEST_ENV });
    const worker = startWorkerProcess(['--data', cliDir, '--connections', connectionsFile, '--subscription-prefix', 'cli-gone-'], env);
    cleanups.push(async () => { if (worker.child.exitCode === null) worker.child.kill('SIGKILL'); });
    await until(() => worker.output().includes('worker pulling') || worker.child.exitCode !== null, 30_000);
    expect(worker.output()).toContain('worker pulling');

    const name = workerSubscriptionName('github', 'cli-gone-');
    await pubsub.subscription(name).delete();

    const how = await Promise.race([worker.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    const output = worker.output();
    expect(how, output).toBe(1);
    expect(output).toContain('"msg":"worker: stopped pulling"');
    expect(output).toContain(name);
    expect(output).toMatch(/restart/i);
    expect(output).not.toContain('message not handled');
  }, 60_000);

  it('gwi-connectors worker refuses to start, in one line, with a --bodies path that cannot be a directory', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const bad = join(dir, 'a-file', 'bodies');
    const connectionsFile = writeConnectionsFile(mkdtempSync(join(dir, 'cli-conf-')), 'acme-gh');
    const env = serveEnv({ PUBSUB_EMULATOR_HOST: emulator.host, METADATA_SERVER_DETECTION: 'none', GWI_PUBSUB_PROJECT: projectId, ...TEST_ENV });
    const worker = startWorkerProcess(['--data', join(dir, 'cli-bad-bodies'), '--connections', connectionsFile, '--bodies', bad], env);
    const code = await worker.exited;
    const stderr = worker.stderr();
    expect(code, stderr).toBe(1);
    expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
    expect(stderr).toContain(`Cannot read the body directory ${bad}`);
    expect(stderr).toContain('--bodies / GWI_BODIES_DIR');
    expect(stderr).toContain('[BUS_CONFIG]');
  }, 30_000);

  it('a body the worker cannot find names its directory, --bodies / GWI_BODIES_DIR and the fix', async () => {
    const receiverBus: Bus = createPubSubBus({ projectId, pubsub, bodyStore: createFileBodyStore(join(dir, 'receiver-bodies')), maxInlineBytes: 2_048 });
    const receiver: Service = await createService({ dataDir: join(dir, 'receiver'), manifests: [manifest], env: TEST_ENV, bus: receiverBus, background: false });
    cleanups.push(() => receiver.close());
    const { entries, logger } = recordingLogger();
    const workerBodies = join(dir, 'worker-bodies');
    const worker = await startWorker({
      dataDir: join(dir, 'elsewhere'), projectId, pubsub, subscriptionPrefix: 'bodies-', manifests: [manifest], connections: [connection],
      bodyStore: createFileBodyStore(workerBodies), env: TEST_ENV, logger, ordered: false, retryBackoffSeconds: { minimum: 1, maximum: 1 },
    });
    cleanups.push(() => worker.close());
    receiver.putConnection(connection, 'api');
    const big = signedDelivery({ id: 'big-1', title: 'x'.repeat(4_096) });
    const reply = await receiver.ingest('hooks', 'acme', big.body, big.headers, 'application/json');
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);

    await until(() => entries.some((e) => e.level === 'error'));
    const error = entries.find((e) => e.level === 'error');
    expect(error?.msg).toBe('worker: message not handled');
    expect(error?.obj['code']).toBe('BUS_CONFIG');
    const text = `${String(error?.obj['err'])} ${String(error?.obj['hint'])}`;
    expect(text).toContain(workerBodies);
    expect(text).toContain('--bodies');
    expect(text).toContain('GWI_BODIES_DIR');
    expect(text).toMatch(/same body directory/);
    expect(text).not.toMatch(/^ENOENT/);
  });
});
