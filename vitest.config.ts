import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['runtime/**/*.test.ts', 'conformance/**/*.test.ts', 'custom/**/*.test.ts', 'test/**/*.test.ts', 'manifests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One Pub/Sub emulator for the whole run (started and stopped here; see test/support/pubsub-emulator.ts).
    globalSetup: ['test/support/global-setup.ts'],
  },
});
