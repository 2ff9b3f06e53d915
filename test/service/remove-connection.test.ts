import { writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECRET, signedDelivery, startService, tempDir } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
let ctx: Awaited<ReturnType<typeof startService>> | undefined;
let api: Server;
let held: ServerResponse[] = [];

beforeEach(async () => {
  tmp = tempDir();
  // An API that holds every request until the test lets it answer: a sync that stays running.
  api = createServer((_req, res) => void held.push(res));
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
});
afterEach(async () => {
  for (const res of held) res.end('[]');
  held = [];
  await ctx?.close();
  ctx = undefined;
  api.closeAllConnections();
  await new Promise((resolve) => api.close(resolve));
  tmp.cleanup();
});

const post = (connection: string) => {
  const d = signedDelivery();
  return ctx!.app.inject({ method: 'POST', url: `/webhooks/hooks/${connection}`, headers: d.headers, payload: d.body });
};

describe('Service.removeConnection', () => {
  it('stops webhooks, syncs and the schedule of an API connection, keeps what it stored, and the id can be posted again', async () => {
    ctx = await startService(tmp.dir, { background: false });
    const service = ctx.service;
    service.putConnection({ id: 'temp', connector: 'hooks', config: { webhook_secret: SECRET }, schedule: 'every 1h' }, 'api');
    expect((await post('temp')).statusCode).toBe(202);
    expect(service.scheduler.list().map((s) => s.connectionId)).toContain('temp');

    expect(service.removeConnection('temp')).toBe('removed');
    expect(service.getConnection('temp')).toBeUndefined();
    expect((await post('temp')).statusCode).toBe(404);
    expect(service.scheduler.list().map((s) => s.connectionId)).not.toContain('temp');
    expect(Object.keys(service.health().connectors['hooks']!.connections)).toEqual(['acme']);
    expect(service.store.listConnections().readable.map((row) => row.id)).toEqual(['acme']);
    expect(service.store.listDeliveries({ connection: 'temp', limit: 10 })).toHaveLength(1); // kept
    expect(service.removeConnection('temp')).toBe('not_found');

    // Gone after a restart too; posted again under the same id, it runs.
    await ctx.close();
    ctx = await startService(tmp.dir, { background: false });
    expect(ctx.service.getConnection('temp')).toBeUndefined();
    ctx.service.putConnection({ id: 'temp', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
    expect((await post('temp')).statusCode).toBe(202);
  });

  it('refuses a connection of the connections file (CONNECTION_FROM_FILE) and one that is syncing (SYNC_RUNNING)', async () => {
    const file = join(tmp.dir, 'connections.yaml');
    writeFileSync(file, 'connections:\n  - id: from-file\n    connector: hooks\n    config: { webhook_secret: s }\n');
    const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    ctx = await startService(tmp.dir, { background: false, connectionsFile: file, urlBaseOverride: () => base });
    expect(() => ctx!.service.removeConnection('from-file')).toThrow(expect.objectContaining({ code: 'CONNECTION_FROM_FILE', message: expect.stringContaining('remove it there') }));

    const { done } = ctx.service.syncs.start('acme', 'api');
    await expect.poll(() => held.length).toBeGreaterThan(0);
    expect(() => ctx!.service.removeConnection('acme')).toThrow(expect.objectContaining({ code: 'SYNC_RUNNING' }));
    for (const res of held.splice(0)) res.end('[]');
    await done;
    expect(ctx.service.removeConnection('acme')).toBe('removed');
  });
});
