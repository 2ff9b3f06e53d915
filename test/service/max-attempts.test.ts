import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createService } from '../../runtime/service/index.js';
import { hooksManifest, signedDelivery, startService, tempDir, TEST_ENV } from './fixtures.js';

/** GWI_MAX_ATTEMPTS sets the attempts a delivery gets before it goes dead in the service (serve), as in the worker. */

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

// Mapping fails every time: the issue has no id (the stream's primary key).
const unmappable = () => signedDelivery({ body: Buffer.from(JSON.stringify({ action: 'opened', issue: { title: 'no id' }, repository: { full_name: 'a/b' } })) });

async function attemptOnce(env: NodeJS.ProcessEnv) {
  const ctx = await startService(tmp.dir, { background: false, env });
  try {
    const d = unmappable();
    await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers });
    await ctx.service.dispatcher.drainOnce();
    return ctx.service.store.listDeliveries({ limit: 10 })[0];
  } finally {
    await ctx.close();
  }
}

describe('GWI_MAX_ATTEMPTS', () => {
  it('dead-letters after the attempts it sets (default 5: one failure only retries)', async () => {
    expect(await attemptOnce({ ...TEST_ENV, GWI_MAX_ATTEMPTS: '1' })).toMatchObject({ status: 'dead', attempts: 1 });
    tmp.cleanup();
    tmp = tempDir();
    expect(await attemptOnce(TEST_ENV)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('refuses a value that is not an attempt count before opening the database', async () => {
    await expect(createService({ dataDir: tmp.dir, manifests: [hooksManifest()], env: { ...TEST_ENV, GWI_MAX_ATTEMPTS: 'lots' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
