import type { TestProject } from 'vitest/node';
import { pubsubTestsSkipped, startPubSubEmulator } from './pubsub-emulator.js';

/**
 * Vitest globalSetup (register in vitest.config.ts `test.globalSetup`): one Pub/Sub emulator for the
 * whole run, shared with test files through `inject('pubsubEmulatorHost')`. Tests that find nothing
 * provided start their own (see `emulatorForTests`), so the file also works without this setup.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    pubsubEmulatorHost: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (pubsubTestsSkipped()) return undefined;
  // Started lazily by tests when missing gcloud should fail only the Pub/Sub tests, not the whole run.
  let emulator;
  try {
    emulator = await startPubSubEmulator();
  } catch (error) {
    process.stderr.write(`[global-setup] ${(error as Error).message}\n`);
    return undefined;
  }
  project.provide('pubsubEmulatorHost', emulator.host);
  return () => emulator.stop();
}
