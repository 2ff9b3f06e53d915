import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import { auth, HOOKS_MANIFEST, SECRET, startService, tempDir } from './fixtures.js';

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

  it('says that ${ENV} references are not expanded in a posted config, instead of "export the variable"', async () => {
    ctx = await startService(tmp.dir, { background: false });
    const res = await postConnection({ id: 'envy', connector: 'hooks', config: { webhook_secret: '${GITHUB_WEBHOOK_SECRET}' } });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('references are expanded only in the connections file');
    expect(error.message).toContain('config.webhook_secret');
    expect(error.hint).toContain('Send the value itself');
    expect(error.hint).not.toContain('Export');
  });

  it('logs a warning naming the config key when a webhook connection has no secret, without printing secrets', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }));
    const optional = parseManifest(HOOKS_MANIFEST.replace('required: [webhook_secret]', 'required: []'), 'hooks.yaml');
    ctx = await startService(tmp.dir, { background: false, logger, manifests: [optional] });
    lines.length = 0;
    expect((await postConnection({ id: 'unsigned', connector: 'hooks', config: { token: 'tok_never_logged' } })).statusCode).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const warning = lines.map((line) => JSON.parse(line) as { msg: string; connection?: string; keys?: string[] }).find((line) => line.connection === 'unsigned');
    expect(warning?.keys).toEqual(['config.webhook_secret', 'config.old_webhook_secret']);
    expect(warning?.msg).toContain('WEBHOOK_MISCONFIGURED');
    expect(lines.join('')).not.toContain('tok_never_logged');
    expect(lines.join('')).not.toContain(SECRET);
    // A connection with its secret set gives no warning.
    lines.length = 0;
    await postConnection({ id: 'signed', connector: 'hooks', config: { webhook_secret: 'x' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.filter((line) => line.includes('"signed"'))).toEqual([]);
  });
});

