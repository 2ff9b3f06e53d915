import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, inject } from 'vitest';
import './global-setup.js'; // the ProvidedContext key type
import { startPubSubEmulator, useEmulatorEnv, type PubSubEmulator } from './pubsub-emulator.js';

/**
 * The emulator for a test file: the suite-wide one from global-setup when registered, otherwise one
 * started for this file. Sets PUBSUB_EMULATOR_HOST and METADATA_SERVER_DETECTION for this process.
 */
export async function emulatorForTests(): Promise<PubSubEmulator> {
  const shared = inject('pubsubEmulatorHost') as string | undefined;
  const emulator = shared ? { host: shared, stop: async () => {} } : await startPubSubEmulator();
  useEmulatorEnv(emulator.host);
  return emulator;
}

/**
 * For a describe block: the emulator (see emulatorForTests) and a Pub/Sub client on `projectId`,
 * opened before its tests and closed after them. Read `pubsub` inside the tests.
 */
export function pubsubForTests(projectId: string): { readonly pubsub: PubSub } {
  let emulator: PubSubEmulator | undefined;
  let client: PubSub | undefined;
  beforeAll(async () => {
    emulator = await emulatorForTests();
    client = new PubSub({ projectId });
  });
  afterAll(async () => {
    await client?.close();
    await emulator?.stop();
  });
  return {
    get pubsub() {
      if (!client) throw new Error('pubsubForTests: read pubsub inside a test, after beforeAll');
      return client;
    },
  };
}
