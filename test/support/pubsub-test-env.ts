import { inject } from 'vitest';
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
