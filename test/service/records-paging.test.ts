import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, startService, tempDir } from './fixtures.js';
import { startLocalApi, type LocalApi } from './local-api.js';

/** `GET /api/connections/:id/records/:stream?limit=&after=`: paging with `next` visits every record once. */

const ISSUES = Array.from({ length: 7 }, (_, i) => ({ id: 100 + i, title: `issue ${i}` }));

let tmp: ReturnType<typeof tempDir>;
let api: LocalApi;

beforeEach(async () => {
  tmp = tempDir();
  api = await startLocalApi((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ISSUES));
  });
});
afterEach(async () => {
  await api.close();
  tmp.cleanup();
});

describe('records paging', () => {
  it('pages with limit=1 and after=next until next is null, repeating and skipping nothing', async () => {
    const ctx = await startService(tmp.dir, { background: false, urlBaseOverride: () => api.base });
    try {
      const { run_id } = (await ctx.app.inject({ method: 'POST', url: '/api/connections/acme/sync', headers: auth })).json();
      for (let i = 0; i < 500 && (await ctx.app.inject({ method: 'GET', url: `/api/runs/${run_id}`, headers: auth })).json().status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
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
});
