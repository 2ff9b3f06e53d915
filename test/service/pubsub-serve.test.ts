import { PubSub } from '@google-cloud/pubsub';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, decodeDeliveryData, recordsTopicName, webhooksTopicName } from '../../runtime/bus/index.js';
import { pubsubTestsSkipped, type PubSubEmulator } from '../support/pubsub-emulator.js';
import { emulatorForTests } from '../support/pubsub-test-env.js';
import { tapTopic } from '../support/pubsub-tap.js';
import {
  assertBuilt,
  githubDedupeKey,
  githubHeaders,
  githubIssuePayload,
  serveEnv,
  startListening,
  writeConnectionsFile,
  type ServeProcess,
} from '../support/serve-process.js';

/**
 * `serve --bus pubsub` against the real emulator: a verified delivery is answered only after it is
 * on `connector-webhooks-github` (ordering key = connection), and the records the dispatcher maps
 * from it go to `connector-records-github`. Needs `npm run build` (the crash test or pretest does it).
 */
const projectId = 'gwi-serve-test';
let emulator: PubSubEmulator;
let pubsub: PubSub;
let dir: string;
let serve: ServeProcess | undefined;

const tap = (topicName: string) => tapTopic(pubsub, topicName, { name: `${topicName}-tap` });

describe.skipIf(pubsubTestsSkipped())('serve --bus pubsub (real emulator)', () => {
  beforeAll(async () => {
    assertBuilt();
    emulator = await emulatorForTests();
    pubsub = new PubSub({ projectId });
    dir = mkdtempSync(join(tmpdir(), 'gwi-serve-pubsub-'));
  }, 120_000);

  afterAll(async () => {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    await pubsub?.close();
    await emulator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('publishes each verified delivery before answering, and the mapped records after dispatch', async () => {
    const deliveries = await tap(webhooksTopicName('github'));
    const records = await tap(recordsTopicName('github'));
    serve = await startListening({
      dataDir: join(dir, 'data'),
      connectionsFile: writeConnectionsFile(dir),
      args: ['--bus', 'pubsub'],
      env: serveEnv({ PUBSUB_EMULATOR_HOST: emulator.host, METADATA_SERVER_DETECTION: 'none', GWI_PUBSUB_PROJECT: projectId }),
    });

    const body = githubIssuePayload(4096);
    const post = () => fetch(`${serve!.url}/webhooks/github/acme`, { method: 'POST', headers: githubHeaders(body, 'pubsub-e2e-1'), body });
    const first = await post();
    expect(first.status, await first.clone().text()).toBe(202);
    expect(await first.json()).toMatchObject({ duplicate: false });
    // Answered only after the publish was confirmed: the message is there (allowing for pull latency).
    const [message] = await deliveries.waitFor(1);
    expect(message, serve.output()).toBeDefined();
    expect(message!.orderingKey).toBe('acme');
    expect(message!.attributes).toMatchObject({ [ATTR.deliveryId]: githubDedupeKey('pubsub-e2e-1'), [ATTR.event]: 'issues', [ATTR.connector]: 'github', [ATTR.connection]: 'acme' });
    expect(decodeDeliveryData(message!.data).body.equals(body)).toBe(true);

    const again = await post();
    expect(again.status).toBeLessThan(300);
    expect(await again.json()).toMatchObject({ duplicate: true });

    const mapped = await records.waitFor(1);
    expect(mapped.length, `no record published:\n${serve.output()}`).toBeGreaterThanOrEqual(1);
    expect(mapped[0]!.attributes).toMatchObject({ [ATTR.connection]: 'acme', [ATTR.stream]: 'issues' });
    expect(JSON.parse(mapped[0]!.data.toString('utf8'))).toMatchObject({ number: 1347, repo: 'acme/api' });
    await deliveries.close();
    await records.close();
  }, 90_000);
});
