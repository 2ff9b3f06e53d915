import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, SECRET, startService, tempDir } from './fixtures.js';
import { startLocalApi, type LocalApi } from './local-api.js';

/**
 * Schedules through the service: a connection with `schedule: "every 1s"` (the smallest interval the
 * parser allows) syncs on its own, and a sync asked for through the API while a scheduled one runs
 * joins that run instead of starting a second one.
 */

let tmp: ReturnType<typeof tempDir>;
let api: LocalApi;
let base: string;
let requests: number;
let inFlight: number;
let maxInFlight: number;
let hold: boolean;
let held: Array<() => void>;

beforeEach(async () => {
  tmp = tempDir();
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  hold = false;
  held = [];
  api = await startLocalApi((_req, res: ServerResponse) => {
    requests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const reply = () => {
      inFlight--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ id: 7, title: 'scheduled' }, { id: 8, title: 'also scheduled' }]));
    };
    if (hold) held.push(reply);
    else reply();
  });
  base = api.base;
});
afterEach(async () => {
  for (const reply of held.splice(0)) reply();
  await api.close();
  tmp.cleanup();
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Ctx = Awaited<ReturnType<typeof startService>>;
const connectionHealth = async (ctx: Ctx) => (await ctx.app.inject({ method: 'GET', url: '/health' })).json().connectors.hooks.connections.timed;
const getRun = async (ctx: Ctx, id: string) => (await ctx.app.inject({ method: 'GET', url: `/api/runs/${id}`, headers: auth })).json();

describe('scheduled syncs in the service', () => {
  it('runs a connection on its schedule: a run with trigger "schedule" that stores records', async () => {
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => base });
    try {
      ctx.service.putConnection({ id: 'timed', connector: 'hooks', config: { webhook_secret: SECRET }, schedule: 'every 1s' }, 'api');
      expect((await connectionHealth(ctx)).next_sync_at).toBeTruthy();

      const runId = await until('a scheduled run to finish', async () => {
        const last = (await connectionHealth(ctx)).last_sync;
        return last && last.status !== 'running' ? (last.run_id as string) : undefined;
      });
      expect((await connectionHealth(ctx)).last_sync).toMatchObject({ trigger: 'schedule' }); // this run or a later one: every 1s
      expect(await getRun(ctx, runId)).toMatchObject({ connection: 'timed', trigger: 'schedule', status: 'succeeded', records: 2 });
      const records = (await ctx.app.inject({ method: 'GET', url: '/api/connections/timed/records/issues', headers: auth })).json();
      expect(records.records).toEqual([{ id: 7, title: 'scheduled' }, { id: 8, title: 'also scheduled' }]);
    } finally {
      await ctx.close();
    }
  });

  it('an API sync asked for while a scheduled one runs joins it: never two runs of a connection at once', async () => {
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => base });
    try {
      hold = true;
      ctx.service.putConnection({ id: 'timed', connector: 'hooks', config: { webhook_secret: SECRET }, schedule: 'every 1s' }, 'api');
      await until('the scheduled run to reach the API', () => (held.length > 0 ? true : undefined));
      const health = await connectionHealth(ctx);
      expect(health.syncing).toBe(true);
      const scheduled = health.last_sync.run_id as string;
      expect(await getRun(ctx, scheduled)).toMatchObject({ trigger: 'schedule', status: 'running' });

      const asked = await ctx.app.inject({ method: 'POST', url: '/api/connections/timed/sync', headers: auth });
      expect(asked.statusCode).toBe(202);
      expect(asked.json()).toEqual({ run_id: scheduled, started: false });
      expect(requests).toBe(1);

      // Ticks of the schedule that fall during the run are skipped too.
      await new Promise((r) => setTimeout(r, 1_200));
      expect(requests).toBe(1);
      hold = false;
      for (const reply of held.splice(0)) reply();
      await until('the scheduled run to finish', async () => ((await getRun(ctx, scheduled)).status === 'succeeded' ? true : undefined));
      expect(maxInFlight).toBe(1);
    } finally {
      await ctx.close();
    }
  });
});
