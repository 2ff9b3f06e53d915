import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, startService, tempDir } from './fixtures.js';
import { startLocalApi, type LocalApi } from './local-api.js';

/**
 * `GET /api/connections/:id/records/:stream?limit=&after=`: paging with `next` visits every record
 * once, and `changes_after` then lists what was added or changed since.
 */

const ISSUES = Array.from({ length: 7 }, (_, i) => ({ id: 100 + i, title: `issue ${i}` }));
let served = ISSUES;

let tmp: ReturnType<typeof tempDir>;
let api: LocalApi;

beforeEach(async () => {
  tmp = tempDir();
  served = ISSUES;
  api = await startLocalApi((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(served));
  });
});
afterEach(async () => {
  await api.close();
  tmp.cleanup();
});

type Started = Awaited<ReturnType<typeof startService>>;
async function syncOnce(ctx: Started): Promise<void> {
  const { run_id } = (await ctx.app.inject({ method: 'POST', url: '/api/connections/acme/sync', headers: auth })).json();
  for (let i = 0; i < 500 && (await ctx.app.inject({ method: 'GET', url: `/api/runs/${run_id}`, headers: auth })).json().status === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect((await ctx.app.inject({ method: 'GET', url: `/api/runs/${run_id}`, headers: auth })).json().status).toBe('succeeded');
}

describe('records paging', () => {
  it('pages with limit=1 and after=next until next is null, repeating and skipping nothing', async () => {
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => api.base });
    try {
      await syncOnce(ctx);
      const url = (query: string) => `/api/connections/acme/records/issues?${query}`;
      const all = (await ctx.app.inject({ method: 'GET', url: url('limit=1000'), headers: auth })).json();
      expect(all.records).toHaveLength(ISSUES.length);
      expect(all.next).toBeNull();

      const seen: Array<{ id: number }> = [];
      const cursors = new Set<string>();
      let after: string | null = null;
      for (let page = 0; page <= ISSUES.length + 1; page++) {
        const res = await ctx.app.inject({ method: 'GET', url: url(`limit=1${after === null ? '' : `&after=${encodeURIComponent(after)}`}`), headers: auth });
        expect(res.statusCode).toBe(200);
        const body = res.json() as { records: Array<{ id: number }>; next: string | null };
        expect(body.records.length).toBeLessThanOrEqual(1);
        seen.push(...body.records);
        if (body.next === null) break;
        expect(cursors.has(body.next)).toBe(false); // the cursor moves forward
        cursors.add(body.next);
        after = body.next;
      }
      // Same records in the same order as one big page: none repeated, none skipped, and paging ended.
      expect(seen).toEqual(all.records);
      expect(new Set(seen.map((r) => r.id))).toEqual(new Set(ISSUES.map((r) => r.id)));

      // A cursor that is not one we handed out is refused, not read as "from the start".
      expect((await ctx.app.inject({ method: 'GET', url: url('limit=1&after=abc'), headers: auth })).statusCode).toBe(400);
    } finally {
      await ctx.close();
    }
  });

  it('lists from changes_after what a later sync added or changed, and nothing when nothing did', async () => {
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => api.base });
    try {
      const url = (query: string) => `/api/connections/acme/records/issues?${query}`;
      const list = async (query: string) => (await ctx.app.inject({ method: 'GET', url: url(query), headers: auth })).json() as { records: Array<{ id: number; title: string }>; next: string | null; changes_after: string };
      // Before any record: a cursor from the start.
      expect(await list('')).toEqual({ records: [], next: null, changes_after: '0' });
      await syncOnce(ctx);
      const first = await list('limit=1000');
      expect(first.records).toHaveLength(ISSUES.length);
      expect(first.next).toBeNull();

      // One issue edited, one new: a sync rewrites all eight; the listing after the cursor holds those two, in that order.
      served = [...ISSUES.map((issue) => (issue.id === 102 ? { ...issue, title: 'issue 2, edited' } : issue)), { id: 200, title: 'new' }];
      await syncOnce(ctx);
      const changed = await list(`after=${first.changes_after}`);
      expect(changed.records.map((r) => [r.id, r.title])).toEqual([[102, 'issue 2, edited'], [200, 'new']]);
      expect(changed.next).toBeNull();
      // The whole listing still holds every record once, the edited one last but one.
      expect((await list('limit=1000')).records.map((r) => r.id)).toEqual([100, 101, 103, 104, 105, 106, 102, 200]);

      // Nothing changed: nothing listed, and the cursor stays where it was.
      await syncOnce(ctx);
      expect(await list(`after=${changed.changes_after}`)).toEqual({ records: [], next: null, changes_after: changed.changes_after });
    } finally {
      await ctx.close();
    }
  });
});
