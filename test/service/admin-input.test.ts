import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import { auth, HOOKS_MANIFEST, SECRET, signedDelivery, startService, tempDir } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
let ctx: Awaited<ReturnType<typeof startService>> | undefined;

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await ctx?.close();
  ctx = undefined;
  tmp.cleanup();
});

/**
 * Restarts with connection `stalled` stored but not running: its schedule is one an earlier release
 * stored and this one refuses (it never fires). Returns the id of the delivery it received before.
 */
async function stalledConnection(): Promise<string> {
  ctx = await startService(tmp.dir, { background: false });
  ctx.service.putConnection({ id: 'stalled', connector: 'hooks', config: { webhook_secret: SECRET }, schedule: 'every 1h' }, 'api');
  const d = signedDelivery();
  expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/stalled', payload: d.body, headers: d.headers })).statusCode).toBe(202);
  await ctx.close();
  const db = new Database(join(tmp.dir, 'gwi.db'));
  db.prepare("UPDATE connections SET schedule = '0 0 30 2 *' WHERE id = 'stalled'").run();
  db.close();
  ctx = await startService(tmp.dir, { background: false });
  expect(ctx.service.unavailableConnection('stalled')).toBeDefined();
  return d.id;
}

const postConnection = (payload: unknown) => ctx!.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: payload as object });

describe('POST /api/connections', () => {
  it('refuses with 409 CONNECTION_FROM_FILE an id the connections file defines, so no change is lost at the next start', async () => {
    const file = join(tmp.dir, 'connections.yaml');
    writeFileSync(file, `connections:\n  - id: from-file\n    connector: hooks\n    config: { webhook_secret: file-secret }\n`);
    ctx = await startService(tmp.dir, { background: false, connectionsFile: file });
    const res = await postConnection({ id: 'from-file', connector: 'hooks', config: { webhook_secret: 'api-secret' }, schedule: 'every 1h' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'CONNECTION_FROM_FILE', message: `connection from-file is defined in ${file}; edit it there` });
    expect(ctx.service.getConnection('from-file')).toMatchObject({ source: 'file', schedule: null });
  });

  it('creates (201) or replaces (200) a connection of the API', async () => {
    ctx = await startService(tmp.dir, { background: false });
    const created = await postConnection({ id: 'second', connector: 'hooks', config: { webhook_secret: 's2' } });
    expect(created.statusCode).toBe(201);
    const replaced = await postConnection({ id: 'second', connector: 'hooks', config: { webhook_secret: 's3' }, schedule: 'every 1h' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ id: 'second', schedule: 'every 1h', source: 'api' });
  });

  it('replaces (200, not 201) a stored connection that is not running (CONNECTION_UNAVAILABLE)', async () => {
    await stalledConnection();
    const replaced = await postConnection({ id: 'stalled', connector: 'hooks', config: { webhook_secret: SECRET }, schedule: 'every 2h' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ id: 'stalled', schedule: 'every 2h', source: 'api' });
    expect(ctx!.service.unavailableConnection('stalled')).toBeUndefined();
  });

  it('replaying a delivery of a stored connection that is not running is 503 CONNECTION_UNAVAILABLE with the reason (was 500)', async () => {
    const id = await stalledConnection();
    const res = await ctx!.app.inject({ method: 'POST', url: `/api/deliveries/${encodeURIComponent(id)}/replay`, headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'CONNECTION_UNAVAILABLE', message: expect.stringContaining('never fires'), hint: expect.any(String) });
  });

  it('says that ${ENV} references are not expanded in a posted config, instead of "export the variable"', async () => {
    ctx = await startService(tmp.dir, { background: false });
    const res = await postConnection({ id: 'envy', connector: 'hooks', config: { webhook_secret: '${GITHUB_WEBHOOK_SECRET}' } });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('connection envy: config.webhook_secret holds ${GITHUB_WEBHOOK_SECRET}, but `${...}` references are expanded only in the connections file, not in configs sent to the API');
    expect(error.hint).toContain('Send the value itself');
    expect(error.hint).not.toContain('Export');
  });

  it('logs a warning naming the config key when a webhook connection has no secret, without printing secrets', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }));
    const optional = parseManifest(HOOKS_MANIFEST.replace('required: [webhook_secret]', 'required: []'), 'hooks.yaml');
    ctx = await startService(tmp.dir, { background: false, logger, manifests: [optional] });
    lines.length = 0;
    const warningFor = (id: string) => lines.map((line) => JSON.parse(line) as { msg: string; connection?: string; keys?: string[] }).find((line) => line.connection === id);
    // A connection with its secret set gives no warning; posted first, its check ends first.
    expect((await postConnection({ id: 'signed', connector: 'hooks', config: { webhook_secret: 'a-long-enough-secret', token: SECRET } })).statusCode).toBe(201);
    expect((await postConnection({ id: 'unsigned', connector: 'hooks', config: { token: 'tok_never_logged' } })).statusCode).toBe(201);
    const warning = await vi.waitFor(() => warningFor('unsigned') ?? Promise.reject(new Error('no warning yet')));
    expect(warning.keys).toEqual(['config.webhook_secret', 'config.old_webhook_secret']);
    expect(warning.msg).toBe('connection unsigned has no webhook secret (set config.webhook_secret or config.old_webhook_secret): every webhook delivery to it will be refused with 500 WEBHOOK_MISCONFIGURED until it is set');
    expect(warningFor('signed')).toBeUndefined();
    expect(lines.join('')).not.toContain('tok_never_logged');
    expect(lines.join('')).not.toContain(SECRET);

    // A secret short enough to guess: said, naming the keys, not the value.
    expect((await postConnection({ id: 'short', connector: 'hooks', config: { webhook_secret: 'qwerty', token: SECRET } })).statusCode).toBe(201);
    const short = await vi.waitFor(() => warningFor('short') ?? Promise.reject(new Error('no warning yet')));
    expect(short.msg).toBe('connection short has a webhook secret shorter than 16 characters (config.webhook_secret or config.old_webhook_secret): short secrets can be guessed; use a long random one (e.g. openssl rand -hex 32) at the provider and here');
    expect(lines.join('')).not.toContain('qwerty');
  });

  it('logs a warning when a connection takes unsigned webhooks (signature type none)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }));
    const unsigned = parseManifest(HOOKS_MANIFEST.replace(/  signature:\n(    .*\n)+/, '  signature:\n    type: none\n'), 'hooks.yaml');
    ctx = await startService(tmp.dir, { background: false, logger, manifests: [unsigned] });
    expect((await postConnection({ id: 'open', connector: 'hooks', config: { webhook_secret: 'a-long-enough-secret', token: SECRET } })).statusCode).toBe(201);
    const warning = lines.map((line) => JSON.parse(line) as { msg: string; connection?: string }).find((line) => line.connection === 'open');
    expect(warning?.msg).toBe("connection open: its connector's webhooks are unsigned (signature type none): anyone who can reach /webhooks/hooks/open can post deliveries; serve it on a private network only");
  });
});


describe('admin query parameters', () => {
  beforeEach(async () => {
    ctx = await startService(tmp.dir, { background: false });
  });
  const get = (url: string) => ctx!.app.inject({ method: 'GET', url, headers: auth });

  it('refuses an unknown one with 400, naming it, a did-you-mean and the accepted ones', async () => {
    const res = await get('/api/deliveries?statuss=dead');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({ code: 'BAD_REQUEST', message: 'unknown query parameter "statuss"; did you mean "status"?', hint: 'GET /api/deliveries accepts connection, status, limit, after.' });
    expect((await get('/api/connections/acme/records/issues?limt=5')).json().error.hint).toBe('GET /api/connections/:id/records/:stream accepts limit, after.');
    expect((await get('/api/connections?x=1')).json().error).toMatchObject({ message: 'unknown query parameter "x"', hint: 'GET /api/connections takes no query parameters.' });
    expect((await get('/api/deliveries?status=dead&limit=5')).statusCode).toBe(200);
  });

  it('refuses a limit that is not all digits (1e2, 0x10, " 5", 5.0), though Number() reads it, naming the value', async () => {
    for (const limit of ['1e2', '0x10', ' 5', '5.0', '+5']) {
      const res = await get(`/api/deliveries?limit=${encodeURIComponent(limit)}`);
      expect({ limit, status: res.statusCode }).toEqual({ limit, status: 400 });
      expect(res.json().error).toEqual({ code: 'BAD_REQUEST', message: `limit must be a whole number from 1 to 1000, got ${JSON.stringify(limit)}`, hint: expect.stringContaining('whole number') });
      expect((await get(`/api/connections/acme/records/issues?limit=${encodeURIComponent(limit)}`)).statusCode).toBe(400);
    }
    expect((await get('/api/deliveries?limit=007')).statusCode).toBe(200);
  });

  it('connection: empty is 400 (it read as "no filter"), an id never seen is 404, a removed connection\'s deliveries stay listed', async () => {
    const replay = (query: string) => ctx!.app.inject({ method: 'POST', url: `/api/deliveries/x/replay${query}`, headers: auth });
    for (const res of [await get('/api/deliveries?connection='), await replay('?connection=')]) {
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({ code: 'BAD_REQUEST', message: expect.stringMatching(/^connection must not be empty on (GET|POST) \/api\/deliveries/), hint: expect.stringContaining('leave connection out') });
    }
    const typo = await get('/api/deliveries?connection=acm');
    expect(typo.statusCode).toBe(404);
    expect(typo.json().error).toEqual({ code: 'NOT_FOUND', message: 'no connection acm, and no delivery of one', hint: expect.stringContaining('GET /api/connections lists the connections') });
    const replayTypo = await replay('?connection=acm');
    expect(replayTypo.statusCode).toBe(404);
    expect(replayTypo.json().error).toMatchObject({ message: 'no delivery x of connection acm: no connection acm is configured now', hint: expect.stringContaining('GET /api/connections lists the connections') });
    // Configured, nothing received yet: an empty page.
    expect((await get('/api/deliveries?connection=acme')).json()).toEqual({ deliveries: [], next: null });

    ctx!.service.putConnection({ id: 'gone', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
    const d = signedDelivery();
    expect((await ctx!.app.inject({ method: 'POST', url: '/webhooks/hooks/gone', payload: d.body, headers: d.headers })).statusCode).toBe(202);
    expect(ctx!.service.removeConnection('gone')).toBe('removed');
    const kept = await get('/api/deliveries?connection=gone');
    expect(kept.statusCode).toBe(200);
    expect(kept.json().deliveries.map((x: { id: string; connection: string }) => [x.id, x.connection])).toEqual([[d.id, 'gone']]);
    // Filtered to nothing, but it has deliveries: an empty page, not 404.
    expect((await get('/api/deliveries?connection=gone&status=dead')).json()).toEqual({ deliveries: [], next: null });
  });

  it('refuses a repeated one with 400 instead of a 500', async () => {
    const res = await get('/api/deliveries?connection=a&connection=b');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('query parameter connection must be given once');
    const replay = await ctx!.app.inject({ method: 'POST', url: '/api/deliveries/x/replay?connection=a&connection=b', headers: auth });
    expect(replay.statusCode).toBe(400);
  });
});

describe('error replies for what Fastify refuses', () => {
  beforeEach(async () => {
    ctx = await startService(tmp.dir, { background: false });
  });
  const postBody = (payload: string, contentType: string) => ctx!.app.inject({ method: 'POST', url: '/api/connections', headers: { ...auth, 'content-type': contentType }, payload });

  it('a path that is not valid percent-encoding gets our error shape', async () => {
    const res = await ctx!.app.inject({ method: 'POST', url: '/webhooks/hooks/%ZZ', payload: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'the URL path is not valid percent-encoding', hint: expect.stringContaining('%25') } });
  });

  it('a text or form body to the admin API is 415 naming the type and the one to send', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await postBody('id=a', type);
      expect(res.statusCode).toBe(415);
      expect(res.json().error).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: `Content-Type "${type}" is not accepted here`, hint: 'Send Content-Type: application/json with a JSON body.' });
    }
  });

  it('invalid JSON is 400 with the parser position, an empty body says so', async () => {
    const res = await postBody('{"id": "a",}', 'application/json');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^the body is not valid JSON: .*position 11/);
    expect((await postBody('', 'application/json')).json().error).toMatchObject({ code: 'BAD_REQUEST', message: 'the body is empty' });
    expect((await postBody('{"__proto__": {"x": 1}}', 'application/json')).statusCode).toBe(400);
    expect((await postBody(JSON.stringify({ id: 'ok', connector: 'hooks', config: { webhook_secret: 's' } }), 'application/json; charset=utf-8')).statusCode).toBe(201);
  });
});
