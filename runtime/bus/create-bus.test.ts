import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBus } from './index.js';

describe('createBus', () => {
  it('is local by default and from GWI_BUS=local', async () => {
    expect((await createBus({ dataDir: '/tmp/x', env: {} })).kind).toBe('local');
    expect((await createBus({ dataDir: '/tmp/x', env: { GWI_BUS: 'local' } })).kind).toBe('local');
  });

  it('builds the Pub/Sub bus from --bus/GWI_BUS with a project id (no network until the first publish)', async () => {
    const bus = await createBus({ kind: 'pubsub', dataDir: '/tmp/x', env: { GWI_PUBSUB_PROJECT: 'p1' } });
    expect(bus.kind).toBe('pubsub');
    await bus.close();
  });

  it('names the missing project id and unknown bus kinds with BUS_CONFIG', async () => {
    await expect(createBus({ kind: 'pubsub', dataDir: '/tmp/x', env: {} })).rejects.toThrow(expect.objectContaining({ code: 'BUS_CONFIG', message: expect.stringContaining('project id') }));
    await expect(createBus({ kind: 'kafka', dataDir: '/tmp/x', env: {} })).rejects.toThrow(expect.objectContaining({ code: 'BUS_CONFIG', message: expect.stringContaining('"kafka"') }));
  });

  it('puts large bodies in GWI_BODIES_DIR (the directory workers read), not in <data>/bodies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwi-create-bus-'));
    try {
      const bus = await createBus({ kind: 'pubsub', dataDir: join(dir, 'receiver-data'), env: { GWI_PUBSUB_PROJECT: 'p1', GWI_BODIES_DIR: join(dir, 'shared') } });
      const ref = await bus.bodyStore!.put('github/acme/d1', Buffer.from('big'));
      expect(existsSync(join(dir, 'shared', ref.slice('file:'.length)))).toBe(true);
      expect(existsSync(join(dir, 'receiver-data'))).toBe(false);
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
