import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Bus } from '../../runtime/bus/index.js';
import { createLocalBus } from '../../runtime/bus/local-bus.js';
import { createDispatcher, restFactorFor, SETTLE_CHUNK, THREAD_STOPPED } from '../../runtime/service/dispatcher.js';
import { createPipelineCache } from '../../runtime/service/pipelines.js';
import { parseManifest } from '../../runtime/manifest/index.js';
import { HOOKS_MANIFEST, hooksManifest, SECRET, signedDelivery, startService, tempDir } from './fixtures.js';

const ACME = [{ connector: 'hooks', connection: 'acme' }];

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** A bus that refuses to publish while `down` is true: fault injection at the Bus interface. */
function flakyBus() {
  const published: Array<{ stream: string; records: object[] }> = [];
  const state = { down: true, published };
  const bus: Bus = {
    kind: 'local',
    publishDelivery: async () => {},
    publishRecords: async (_connector, _connection, stream, records) => {
      if (state.down) throw new Error('bus unavailable');
      published.push({ stream, records: records.map((r) => r.data) });
    },
    close: async () => {},
  };
  return { bus, state };
}

const send = (app: Awaited<ReturnType<typeof startService>>['app'], d: ReturnType<typeof signedDelivery>) =>
  app.inject({ method: 'POST', url: '/webhooks/hooks/acme', payload: d.body, headers: d.headers });

describe('dispatcher', () => {
  it('maps events to stream records with the stream’s map and primary key, upserting by key', async () => {
    const ctx = await startService(tmp.dir, { background: false });
    await send(ctx.app, signedDelivery({ issueId: 1, title: 'first' }));
    await send(ctx.app, signedDelivery({ issueId: 1, title: 'first, edited 🚀' }));
    await send(ctx.app, signedDelivery({ issueId: 2, title: 'ignored', action: 'ignored' }));
    expect(await ctx.service.dispatcher.drainOnce()).toBe(3);
    expect(ctx.service.store.listRecords('acme', 'issues', 10).map((r) => r.data)).toEqual([{ id: 1, title: 'first, edited 🚀', repo: 'acme/api' }]);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 3, pending: 0 });
    await ctx.close();
  });

  it('an event webhooks.events does not map is done with no records, counted as ignored and logged once per event ("constructor" too)', async () => {
    const logged: string[] = [];
    const ctx = await startService(tmp.dir, { background: false, logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }) });
    const as = (event: string) => {
      const d = signedDelivery({ issueId: 5 });
      return { ...d, headers: { ...d.headers, 'x-github-event': event } };
    };
    for (const event of ['issues', 'ping', 'ping', 'constructor']) expect((await send(ctx.app, as(event))).statusCode).toBe(202);
    expect(await ctx.service.dispatcher.drainOnce()).toBe(4);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 4, pending: 0, failed: 0 });
    const metrics = await ctx.service.metrics.registry.metrics();
    expect(metrics).toContain('gwi_webhook_dispatch_total{connector="hooks",result="done"} 1');
    expect(metrics).toContain('gwi_webhook_dispatch_total{connector="hooks",result="ignored"} 3');
    const said = logged.map((line) => JSON.parse(line) as { event?: string; msg: string }).filter((entry) => entry.msg.includes('done with no records'));
    expect(said.map((entry) => entry.event)).toEqual(['ping', 'constructor']);
    expect(said[0]!.msg).toBe('deliveries of event "ping" are done with no records: webhooks.events of connector hooks does not map it');
    await ctx.close();
  });

  it('a failed mapping is stored and logged with the key that failed (file:line), its code, and the connection\'s secrets masked; dead is an error line', async () => {
    const logged: string[] = [];
    // A `when` that quotes the webhook secret in its failure ("Unable to cast value to a number: ...").
    const manifest = parseManifest(HOOKS_MANIFEST.replace(`when: "$not(action = 'ignored')"`, 'when: "$number($config.webhook_secret) > 0"'), 'hooks.yaml');
    const ctx = await startService(tmp.dir, { background: false, manifests: [manifest], dispatcher: { maxAttempts: 1 }, logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }) });
    expect((await send(ctx.app, signedDelivery({ issueId: 3 }))).statusCode).toBe(202);
    expect(await ctx.service.dispatcher.drainOnce()).toBe(1);
    const [dead] = ctx.service.store.listDeliveries({ limit: 10, status: 'dead' });
    const line = manifest.locate(['webhooks', 'events', 'issues', 'when']);
    expect(dead!.error).toMatch(new RegExp(`^hooks\\.yaml:${line.line}:${line.column}: .*\\*\\*\\*.*\\(at webhooks\\.events\\.issues\\.when\\).* \\[EXPRESSION_EVALUATION\\]$`));
    expect(dead!.error).not.toContain(SECRET);
    const entry = logged.map((text) => JSON.parse(text) as Record<string, unknown>).find((e) => String(e['msg']).startsWith('delivery dead-lettered'));
    expect(entry).toMatchObject({ level: 50, connector: 'hooks', connection: 'acme', event: 'issues', code: 'EXPRESSION_EVALUATION', err: dead!.error });
    expect(logged.join('\n')).not.toContain(SECRET);
    await ctx.close();
  });

  it('a failure of the stream\'s own map or primary key is placed at that key of the stream, with a hint that quotes no payload', async () => {
    const mapHint = 'Check streams.issues.map against the records webhooks.events.issues.record selects in this delivery\'s payload.';
    const cases = [
      // JSONata's own message quotes the value it met (the one place a payload value still shows).
      { map: '{ "id": id, "n": $number(title) }', key: 'map', code: 'MAPPING_FAILED', hint: mapHint, quotesTitle: true },
      { map: 'title', key: 'map', code: 'MAPPING_FAILED', hint: mapHint, message: 'stream issues: `map` gave a string, not an object', quotesTitle: false },
      { map: '{ "title": title }', key: 'primary_key', code: 'RECORD_PRIMARY_KEY', hint: 'Make `map` keep the primary key field, or fix `primary_key`.', quotesTitle: false },
    ];
    for (const [i, { map, key, code, hint, message, quotesTitle }] of cases.entries()) {
      const manifest = parseManifest(HOOKS_MANIFEST.replace(`map: '{ "id": id, "title": title, "repo": $partition.repo }'`, `map: '${map}'`), 'hooks.yaml');
      const ctx = await startService(join(tmp.dir, String(i)), { background: false, manifests: [manifest], dispatcher: { maxAttempts: 1 } });
      expect((await send(ctx.app, signedDelivery({ issueId: 4, title: 'PRIVATE-alice@example.com' }))).statusCode).toBe(202);
      await ctx.service.dispatcher.drainOnce();
      const [dead] = ctx.service.store.listDeliveries({ limit: 10, status: 'dead' });
      const line = manifest.locate(['streams', 'issues', key]);
      expect(dead!.error).toMatch(new RegExp(`^hooks\\.yaml:${line.line}:${line.column}: stream issues: .*\\(at streams\\.issues\\.${key}\\)`));
      expect(dead!.error!.endsWith(`${hint} [${code}]`)).toBe(true);
      if (message) expect(dead!.error).toContain(`: ${message} (at streams.issues.${key})`);
      expect(dead!.error!.includes('PRIVATE-alice@example.com')).toBe(quotesTitle);
      await ctx.close();
    }
    // A route whose `record` selects a value that is not an object, and a stream without `map`: named by its kind.
    const manifest = parseManifest(HOOKS_MANIFEST.replace(`    map: '{ "id": id, "title": title, "repo": $partition.repo }'\n`, '').replace('record: issue', 'record: issue.title'), 'hooks.yaml');
    const ctx = await startService(join(tmp.dir, 'scalar'), { background: false, manifests: [manifest], dispatcher: { maxAttempts: 1 } });
    expect((await send(ctx.app, signedDelivery({ issueId: 4, title: 'PRIVATE-alice@example.com' }))).statusCode).toBe(202);
    await ctx.service.dispatcher.drainOnce();
    const [dead] = ctx.service.store.listDeliveries({ limit: 10, status: 'dead' });
    const line = manifest.locate(['webhooks', 'events', 'issues', 'record']);
    expect(dead!.error).toMatch(new RegExp(`^hooks\\.yaml:${line.line}:${line.column}: stream issues: webhooks\\.events\\.issues\\.record selected a string, which is not an object\\. Make webhooks\\.events\\.issues\\.record select objects`));
    expect(dead!.error).not.toContain('PRIVATE');
    await ctx.close();
  });

  it('a routed event whose `record` selects nothing is done, counted as empty and logged once with the payload\'s top-level keys', async () => {
    const logged: string[] = [];
    const manifest = parseManifest(HOOKS_MANIFEST.replace('record: issue', 'record: itme'), 'hooks.yaml');
    const ctx = await startService(tmp.dir, { background: false, manifests: [manifest], logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }) });
    for (const issueId of [1, 2]) expect((await send(ctx.app, signedDelivery({ issueId }))).statusCode).toBe(202);
    // `when` false on purpose: no records, and not "empty".
    expect((await send(ctx.app, signedDelivery({ issueId: 3, action: 'ignored' }))).statusCode).toBe(202);
    expect(await ctx.service.dispatcher.drainOnce()).toBe(3);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 3 });
    const metrics = await ctx.service.metrics.registry.metrics();
    expect(metrics).toContain('gwi_webhook_dispatch_total{connector="hooks",result="empty"} 2');
    expect(metrics).toContain('gwi_webhook_dispatch_total{connector="hooks",result="done"} 1');
    const said = logged.map((text) => JSON.parse(text) as { msg: string }).filter((e) => e.msg.includes('gave no records'));
    expect(said.map((e) => e.msg)).toEqual([
      'a delivery of event "issues" gave no records: webhooks.events.issues.record (itme) selected nothing in its payload (top-level keys: action, issue, repository). A misspelt path or a payload of another shape? If such payloads are expected (an empty list), a `when` that skips them keeps this quiet. Counted as result="empty"',
    ]);
    await ctx.close();
  });

  it('writes the records of a delivery that made thousands in transactions of SETTLE_CHUNK, so the store\'s writer is never held by one for long', async () => {
    const manifest = parseManifest(HOOKS_MANIFEST.replace('record: issue', `record: "[1..3500].{ 'id': $, 'title': 'fan-out ' & $ }"`), 'hooks.yaml');
    const ctx = await startService(tmp.dir, { background: false, manifests: [manifest] });
    const writes = vi.spyOn(ctx.service.store, 'upsertRecords');
    const settles = vi.spyOn(ctx.service.store, 'settleDeliveries');
    expect((await send(ctx.app, signedDelivery({ issueId: 1 }))).statusCode).toBe(202);
    expect(await ctx.service.dispatcher.drainOnce()).toBe(1);
    expect(writes.mock.calls.map(([, batches]) => batches.map((batch) => batch.records.length))).toEqual([[SETTLE_CHUNK], [SETTLE_CHUNK], [SETTLE_CHUNK], [500]]);
    expect(settles.mock.calls.flatMap(([outcomes]) => outcomes)).toEqual([expect.objectContaining({ done: true, batches: [] })]);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 1 });
    const stored = ctx.service.store.listRecords('acme', 'issues', 5_000);
    expect(stored).toHaveLength(3500);
    expect(stored.at(-1)!.data).toEqual({ id: 3500, title: 'fan-out 3500', repo: 'acme/api' });
    await ctx.close();
  });

  it('replays every dead delivery of a connection in one call (POST /api/deliveries/replay), and refuses what it cannot', async () => {
    const { bus, state } = flakyBus();
    const ctx = await startService(tmp.dir, { background: false, bus, dispatcher: { maxAttempts: 1 } });
    const admin = { authorization: 'Bearer test-admin-token' };
    for (const issueId of [1, 2, 3]) await send(ctx.app, signedDelivery({ issueId }));
    expect(await ctx.service.dispatcher.drainOnce()).toBe(3);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ dead: 3 });
    state.down = false;
    const replayed = await ctx.app.inject({ method: 'POST', url: '/api/deliveries/replay?connection=acme', headers: admin });
    expect(replayed.statusCode).toBe(202);
    expect(replayed.json()).toEqual({ connection: 'acme', status: 'pending', replayed: 3 });
    expect(await ctx.service.dispatcher.drainOnce()).toBe(3);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ dead: 0, done: 3 });
    expect(ctx.service.store.listRecords('acme', 'issues', 10)).toHaveLength(3);
    // Nothing dead left: 0, not an error.
    expect((await ctx.app.inject({ method: 'POST', url: '/api/deliveries/replay?connection=acme&status=dead', headers: admin })).json()).toMatchObject({ replayed: 0 });
    const refused = async (url: string) => {
      const res = await ctx.app.inject({ method: 'POST', url, headers: admin });
      return [res.statusCode, res.json().error.message];
    };
    expect(await refused('/api/deliveries/replay')).toEqual([400, 'POST /api/deliveries/replay needs ?connection=']);
    expect(await refused('/api/deliveries/replay?connection=acme&status=done')).toEqual([400, 'status must be dead or failed, not "done"']);
    expect(await refused('/api/deliveries/replay?connection=nope')).toEqual([404, 'no connection nope is configured now']);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/deliveries/replay?connection=acme' })).statusCode).toBe(401);
    await ctx.close();
  });

  it('settles a batch early once it holds more than SETTLE_CHUNK records: no transaction, and no memory, holds the records of many deliveries', async () => {
    const manifest = parseManifest(HOOKS_MANIFEST.replace('record: issue', `record: "[1..600].{ 'id': $, 'title': 'part ' & $ }"`), 'hooks.yaml');
    const ctx = await startService(tmp.dir, { background: false, manifests: [manifest] });
    const settles = vi.spyOn(ctx.service.store, 'settleDeliveries');
    for (const issueId of [1, 2, 3]) expect((await send(ctx.app, signedDelivery({ issueId }))).statusCode).toBe(202);
    expect(await ctx.service.dispatcher.drainOnce()).toBe(3);
    // 600 + 600 passes 1,000: those two are written, then the third.
    expect(settles.mock.calls.map(([outcomes]) => outcomes.map((o) => ('batches' in o ? o.batches[0]!.records.length : 0)))).toEqual([[600, 600], [600]]);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 3 });
    await ctx.close();
  });

  it('maps a delivery that stopped a dispatcher thread before apart: what its batch held before it is written first', async () => {
    let clock = 1_000_000;
    const ctx = await startService(tmp.dir, { background: false, now: () => clock });
    const settles = vi.spyOn(ctx.service.store, 'settleDeliveries');
    const deliveries = [1, 2, 3, 4].map((issueId) => signedDelivery({ issueId }));
    for (const d of deliveries) await send(ctx.app, d);
    const [second] = await ctx.service.store.findDeliveries(deliveries[1]!.id, ACME);
    ctx.service.store.failDelivery(second!.seq, `${THREAD_STOPPED} (Worker terminated due to reaching memory limit); …`, clock);
    clock += 10;
    expect(await ctx.service.dispatcher.drainOnce()).toBe(4);
    expect(settles.mock.calls.map(([outcomes]) => outcomes.length)).toEqual([1, 3]);
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 4 });
    await ctx.close();
  });

  it('retries with backoff, dead-letters after maxAttempts, and a replay delivers it', async () => {
    let clock = 1_000_000;
    const { bus, state } = flakyBus();
    const ctx = await startService(tmp.dir, { background: false, bus, now: () => clock, dispatcher: { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 10_000 } } });
    const d = signedDelivery({ issueId: 9 });
    await send(ctx.app, d);

    expect(await ctx.service.dispatcher.drainOnce()).toBe(1);
    expect((await ctx.service.store.findDeliveries(d.id, ACME))[0]).toMatchObject({ status: 'failed', attempts: 1, error: 'bus unavailable' });
    expect(await ctx.service.dispatcher.drainOnce()).toBe(0); // not due yet
    clock += 1300;
    expect(await ctx.service.dispatcher.drainOnce()).toBe(1);
    expect((await ctx.service.store.findDeliveries(d.id, ACME))[0]).toMatchObject({ status: 'failed', attempts: 2 });
    // The API says when it is tried next (2 s after, ±20 %); not for a dead one below.
    const [failed] = (await ctx.app.inject({ method: 'GET', url: '/api/deliveries?status=failed', headers: { authorization: 'Bearer test-admin-token' } })).json().deliveries;
    expect(Date.parse(failed.next_attempt_at) - clock).toBeGreaterThanOrEqual(1600);
    expect(Date.parse(failed.next_attempt_at) - clock).toBeLessThanOrEqual(2400);
    clock += 2500;
    await ctx.service.dispatcher.drainOnce();
    expect((await ctx.service.store.findDeliveries(d.id, ACME))[0]).toMatchObject({ status: 'dead', attempts: 3 });
    clock += 1e9;
    expect(await ctx.service.dispatcher.drainOnce()).toBe(0); // dead stays dead
    const health = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.status).toBe('degraded');

    state.down = false;
    const dead = (await ctx.app.inject({ method: 'GET', url: '/api/deliveries?status=dead', headers: { authorization: 'Bearer test-admin-token' } })).json();
    expect(dead.deliveries.map((x: { id: string; next_attempt_at: string | null }) => [x.id, x.next_attempt_at])).toEqual([[d.id, null]]);
    const replay = await ctx.app.inject({ method: 'POST', url: `/api/deliveries/${encodeURIComponent(d.id)}/replay`, headers: { authorization: 'Bearer test-admin-token' } });
    expect(replay.statusCode).toBe(202);
    await ctx.service.dispatcher.drainOnce();
    expect((await ctx.service.store.findDeliveries(d.id, ACME))[0]).toMatchObject({ status: 'done', error: null });
    expect(state.published).toEqual([{ stream: 'issues', records: [{ id: 9, title: expect.any(String), repo: 'acme/api' }] }]);
    expect(ctx.service.store.listRecords('acme', 'issues', 10)).toHaveLength(1);
    await ctx.close();
  });

  it('dead-letters a delivery whose mapping fails (no primary key) with the error kept', async () => {
    const ctx = await startService(tmp.dir, { background: false, dispatcher: { maxAttempts: 1 } });
    const body = Buffer.from(JSON.stringify({ action: 'opened', issue: { title: 'no id' }, repository: { full_name: 'a/b' } }));
    await send(ctx.app, signedDelivery({ body }));
    await ctx.service.dispatcher.drainOnce();
    const [row] = ctx.service.store.listDeliveries({ limit: 10 });
    expect(row).toMatchObject({ status: 'dead', attempts: 1 });
    expect(row!.error).toMatch(/primary key|id/i);
    await ctx.close();
  });

  it('resumes after a restart: deliveries accepted before the stop are processed after it', async () => {
    const first = await startService(tmp.dir, { background: false });
    const sent: Array<ReturnType<typeof signedDelivery>> = [];
    for (let i = 0; i < 25; i++) {
      const d = signedDelivery({ issueId: 1000 + i });
      sent.push(d);
      expect((await send(first.app, d)).statusCode).toBe(202);
    }
    await first.close();

    const second = await startService(tmp.dir, { dispatcher: { pollMs: 20 } });
    expect(second.service.getConnection('acme')).toBeDefined();
    for (let i = 0; i < 200 && second.service.store.deliveryCounts().done < 25; i++) await new Promise((r) => setTimeout(r, 20));
    expect(second.service.store.deliveryCounts()).toMatchObject({ done: 25, pending: 0 });
    expect(second.service.store.listRecords('acme', 'issues', 100)).toHaveLength(25);
    // Sent again after the restart (a provider's manual redelivery): duplicates, stored once.
    for (const d of sent.slice(0, 5)) expect((await send(second.app, d)).json()).toEqual({ id: d.id, duplicate: true });
    expect(second.service.store.deliveryCounts().done).toBe(25);
    await second.close();
  });
});

describe('a delivery whose connection the dispatcher has no target for', () => {
  it('waits, pending with its attempts unchanged and deferred by waitMs, while the store has the connection; ends as "not configured any more" once it does not', async () => {
    const ctx = await startService(tmp.dir, { background: false });
    const d = signedDelivery({ issueId: 3 });
    await send(ctx.app, d);
    const manifest = hooksManifest();
    const pipelines = createPipelineCache();
    let running = false; // what the dispatcher is told about acme (the service's own dispatcher is not started)
    let reads = 0;
    let clock = Date.now() + 1_000;
    const dispatcher = createDispatcher({
      store: ctx.service.store, bus: createLocalBus(), maxAttempts: 1, waitMs: 30_000, now: () => clock,
      beforeRead: () => void reads++,
      target: (id) => (running && id === 'acme' ? { manifest, config: {}, secrets: [], pipelineFor: pipelines(manifest) } : undefined),
    });
    const row = async () => (await ctx.service.store.findDeliveries(d.id, ACME))[0];

    // Stored (as a connection that does not run is, or one a dispatcher thread has not heard of yet).
    expect(await dispatcher.drainOnce()).toBe(0);
    expect(await row()).toMatchObject({ status: 'pending', attempts: 0, error: null });
    // Deferred in the store: not read again before waitMs (a backlog of them costs no read per pass).
    running = true;
    clock += 29_000;
    expect(ctx.service.store.dueDeliveries(clock, 10)).toEqual([]);
    expect(await dispatcher.drainOnce()).toBe(0);
    expect(reads).toBe(2);
    clock += 1_000;
    expect(await dispatcher.drainOnce()).toBe(1);
    expect(await row()).toMatchObject({ status: 'done', attempts: 1, error: null });

    // Removed: the store has it no more, so what is left of it ends as before (with maxAttempts 1: dead).
    const left = signedDelivery({ issueId: 4 });
    await send(ctx.app, left);
    running = false;
    expect(ctx.service.removeConnection('acme')).toBe('removed');
    clock += 1_000;
    expect(await dispatcher.drainOnce()).toBe(1);
    expect((await ctx.service.store.findDeliveries(left.id, ACME))[0]).toMatchObject({ status: 'dead', attempts: 1, error: 'connection acme is not configured any more' });
    await ctx.close();
  });
});

describe('the dispatcher while ingest is busy', () => {
  it('rests after each slice by busyRestFactor, read anew after every slice, and still maps everything', async () => {
    const ctx = await startService(tmp.dir, { background: false });
    for (let i = 1; i <= 3; i++) await send(ctx.app, signedDelivery({ issueId: i, title: `t${i}` }));
    const manifest = hooksManifest();
    const pipelines = createPipelineCache();
    let reads = 0;
    const dispatcher = createDispatcher({
      store: ctx.service.store, bus: createLocalBus(), busy: () => true, busySliceMs: 0,
      busyRestFactor: () => {
        reads++;
        return 0;
      },
      target: () => ({ manifest, config: {}, secrets: [], pipelineFor: pipelines(manifest) }),
    });
    dispatcher.start();
    await vi.waitFor(() => expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 3, pending: 0 }), { timeout: 5_000 });
    await dispatcher.stop();
    // A slice of 0 ms ends after every delivery: one read per delivery at least.
    expect(reads).toBeGreaterThanOrEqual(3);
    await ctx.close();
  });
  it('rests as many slices as requests are in flight, from 3 to 30 (the dispatcher thread’s rule)', () => {
    expect([0, 1, 3, 4, 17, 30, 64].map(restFactorFor)).toEqual([3, 3, 3, 4, 17, 30, 30]);
  });
});
