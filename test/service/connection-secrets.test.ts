import Database from 'better-sqlite3';
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import pino from 'pino';
import { createService } from '../../runtime/service/index.js';
import { auth, HOOKS_MANIFEST, hooksManifest, SECRET, signedDelivery, startService, tempDir, TEST_ENV, withApp } from './fixtures.js';

/** The hooks connector with secrets where a flat walk of `properties` does not find them. */
const VAULT_MANIFEST = HOOKS_MANIFEST.replace('name: hooks', 'name: vault').replace(
  /spec:\n[\s\S]*?\nrequester:/,
  `spec:
  type: object
  required: [webhook_secret, credentials]
  properties:
    webhook_secret: { type: string, secret: true }
    old_webhook_secret: { type: string, secret: true }
    credentials:
      oneOf:
        - { type: object, required: [token], properties: { token: { type: string, secret: true } } }
        - type: object
          required: [client_id, client_secret]
          properties:
            client_id: { type: string }
            client_secret: { type: string, secret: true }
    signing_keys: { type: array, items: { type: string, secret: true } }
    extra_headers: { type: object, additionalProperties: { type: string, secret: true } }
    proxy: { $ref: '#/$defs/proxy' }
    repositories: { type: array, items: { type: string }, default: [] }
  $defs:
    proxy: { type: object, properties: { url: { type: string }, password: { type: string, secret: true } } }
requester:`,
);

let tmp: ReturnType<typeof tempDir>;
let ctx: Awaited<ReturnType<typeof startService>>;
const open = () => startService(tmp.dir, { background: false, manifests: [parseManifest(HOOKS_MANIFEST, 'hooks.yaml'), parseManifest(VAULT_MANIFEST, 'vault.yaml')] });

beforeEach(async () => {
  tmp = tempDir();
  ctx = await open();
});
afterEach(async () => {
  await ctx.close();
  tmp.cleanup();
});

/** A value as releases before v2 sealed it: AES-256-GCM, no additional data, "v1:". */
function v1(plain: unknown, key = Buffer.from(TEST_ENV.GWI_SECRET_KEY, 'hex')): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
}

const SECRETS = ['whsec-in-props', 'oauth-client-SECRET', 'signing-key-ONE', 'signing-key-TWO', 'header-SECRET', 'proxy-PASSWORD'];
const config = {
  webhook_secret: SECRETS[0],
  credentials: { client_id: 'visible-client-id', client_secret: SECRETS[1] },
  signing_keys: [SECRETS[2], SECRETS[3]],
  extra_headers: { 'x-api-key': SECRETS[4] },
  proxy: { url: 'http://visible-proxy:3128', password: SECRETS[5] },
};

describe('connection secrets in oneOf branches, array items, additionalProperties and behind a $ref', () => {
  it('are never returned by the admin API, sealed at rest, and opened for use after a restart', async () => {
    const created = await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'vaulted', connector: 'vault', config } });
    expect(created.statusCode).toBe(201);
    const listed = await ctx.app.inject({ method: 'GET', url: '/api/connections', headers: auth });
    for (const body of [created.body, listed.body]) for (const secret of SECRETS) expect(body).not.toContain(secret);
    expect(created.json()).toMatchObject({
      config: { credentials: { client_id: 'visible-client-id' }, signing_keys: [null, null], extra_headers: {}, proxy: { url: 'http://visible-proxy:3128' } },
      secrets: ['webhook_secret', 'credentials.client_secret', 'signing_keys.0', 'signing_keys.1', 'extra_headers.x-api-key', 'proxy.password'],
    });

    await ctx.close();
    const raw = ['gwi.db', 'gwi.db-wal'].map((file) => readFileSync(join(tmp.dir, file), { flag: 'a+' }).toString('latin1')).join('');
    for (const secret of SECRETS) expect(raw.includes(secret), secret).toBe(false);
    expect(raw.includes('visible-client-id')).toBe(true);

    ctx = await open();
    expect(ctx.service.secretValues()).toEqual(expect.arrayContaining(SECRETS));
  });
});

describe('a stored connection whose secrets are in plain text', () => {
  it('is sealed again at the next start', async () => {
    // As an older version, or a manifest that did not yet mark these fields, stored it.
    ctx.service.store.saveConnection({ id: 'legacy', connector: 'vault', config, schedule: null, source: 'api' }, []);
    await ctx.close();
    const storedConfig = () => {
      const db = new Database(join(tmp.dir, 'gwi.db'), { readonly: true });
      try {
        return (db.prepare("SELECT config FROM connections WHERE id = 'legacy'").get() as { config: string }).config;
      } finally {
        db.close();
      }
    };
    expect(storedConfig()).toContain(SECRETS[1]);

    ctx = await open();
    await ctx.close();
    const sealed = storedConfig();
    for (const secret of SECRETS) expect(sealed.includes(secret), secret).toBe(false);
    ctx = await open();
    expect(ctx.service.getConnection('legacy')).toMatchObject({ secrets: expect.arrayContaining(['credentials.client_secret', 'signing_keys.1']) });
    expect(ctx.service.secretValues()).toEqual(expect.arrayContaining(SECRETS));
  });
});

describe('sealed values are bound to their connection and field (security audit #12)', () => {
  const storedConfig = (id: string) => {
    const db = new Database(join(tmp.dir, 'gwi.db'), { readonly: true });
    try {
      return JSON.parse((db.prepare('SELECT config FROM connections WHERE id = ?').get(id) as { config: string }).config) as Record<string, unknown>;
    } finally {
      db.close();
    }
  };
  const writeConfig = (id: string, stored: Record<string, unknown>) => {
    const db = new Database(join(tmp.dir, 'gwi.db'));
    try {
      db.prepare('UPDATE connections SET config = ? WHERE id = ?').run(JSON.stringify(stored), id);
    } finally {
      db.close();
    }
  };

  it('a sealed value copied to a field that is not secret, or to another connection, does not open there', async () => {
    ctx.service.putConnection({ id: 'victim', connector: 'vault', config }, 'api');
    ctx.service.putConnection({ id: 'other', connector: 'vault', config: { ...config, webhook_secret: 'other-whsec' } }, 'api');
    await ctx.close();
    const victim = storedConfig('victim');
    // Into a field the API returns (client_id), and into another connection's secret.
    writeConfig('victim', { ...victim, credentials: { ...(victim['credentials'] as object), client_id: victim['webhook_secret'] } });
    writeConfig('other', { ...storedConfig('other'), webhook_secret: victim['webhook_secret'] });

    ctx = await open();
    for (const id of ['victim', 'other']) {
      expect(ctx.service.getConnection(id), id).toBeUndefined();
      expect(ctx.service.unavailableConnection(id)?.reason, id).toMatch(/cannot be opened.*copied from another connection or field/);
    }
    const listed = await ctx.app.inject({ method: 'GET', url: '/api/connections', headers: auth });
    expect(listed.body).not.toContain(SECRETS[0]);
  });

  it('a v1 value (bound to nothing) moved into a field the spec does not mark secret opens, but stays secret: never returned nor logged (review11 #5)', async () => {
    ctx.service.putConnection({ id: 'victim', connector: 'vault', config }, 'api');
    await ctx.close();
    const key = Buffer.from(TEST_ENV.GWI_SECRET_KEY, 'hex');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([cipher.update(JSON.stringify('old-backup-TOKEN'), 'utf8'), cipher.final()]);
    const v1 = { $sealed: ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':') };
    const victim = storedConfig('victim');
    writeConfig('victim', { ...victim, credentials: { ...(victim['credentials'] as object), client_id: v1 } });

    ctx = await open();
    const listed = await ctx.app.inject({ method: 'GET', url: '/api/connections', headers: auth });
    expect(listed.body).not.toContain('old-backup-TOKEN');
    expect(listed.json()).toMatchObject({ connections: expect.arrayContaining([expect.objectContaining({ id: 'victim', secrets: expect.arrayContaining(['credentials.client_id']) })]) });
    expect(ctx.service.secretValues()).toContain('old-backup-TOKEN');
  });

  it('an OAuth token sealed for one connection does not open for another', async () => {
    const tokens = ctx.service.store.tokenStore('acme');
    await tokens.save('oauth', { access_token: 'at-SECRET', expires_at: 1 } as never);
    expect(await tokens.load('oauth')).toMatchObject({ access_token: 'at-SECRET' });
    await ctx.close();
    const db = new Database(join(tmp.dir, 'gwi.db'));
    db.prepare("INSERT INTO tokens (key, sealed, updated_at) SELECT 'other:oauth', sealed, updated_at FROM tokens WHERE key = 'acme:oauth'").run();
    db.close();
    ctx = await open();
    await expect(ctx.service.store.tokenStore('other').load('oauth')).rejects.toMatchObject({ code: 'SECRET_DECRYPT' });
  });

  it('a value sealed by an earlier release (v1, bound to nothing) still opens, and is sealed again bound at the next start', async () => {
    ctx.service.putConnection({ id: 'legacy', connector: 'vault', config }, 'api');
    await ctx.close();
    const sealed = (plain: unknown) => ({ $sealed: v1(plain) });
    writeConfig('legacy', { ...storedConfig('legacy'), webhook_secret: sealed(SECRETS[0]), signing_keys: [sealed(SECRETS[2]), sealed(SECRETS[3])] });

    ctx = await open();
    expect(ctx.service.getConnection('legacy')).toBeDefined();
    expect(ctx.service.secretValues()).toEqual(expect.arrayContaining([SECRETS[0], SECRETS[2], SECRETS[3]]));
    await ctx.close();
    expect(JSON.stringify(storedConfig('legacy'))).not.toContain('"v1:');
    ctx = await open();
    expect(ctx.service.secretValues()).toEqual(expect.arrayContaining([SECRETS[0], SECRETS[2], SECRETS[3]]));
  });

  it('an OAuth token sealed by an earlier release (v1) still loads, and is sealed again bound to its key at the next start', async () => {
    await ctx.close();
    const token = { access_token: 'at-LEGACY', refresh_token: 'rt-LEGACY', expires_at: 1 };
    const sealedTokens = () => {
      const db = new Database(join(tmp.dir, 'gwi.db'), { readonly: true });
      try {
        return db.prepare('SELECT key, sealed FROM tokens ORDER BY key').all() as { key: string; sealed: string }[];
      } finally {
        db.close();
      }
    };
    const db = new Database(join(tmp.dir, 'gwi.db'));
    const insert = db.prepare('INSERT INTO tokens (key, sealed, updated_at) VALUES (?, ?, 1)');
    insert.run('acme:oauth', v1(token));
    // Sealed with another key: left as it is, and loading it still fails as before.
    insert.run('other:oauth', v1(token, randomBytes(32)));
    db.close();

    ctx = await open();
    expect(await ctx.service.store.tokenStore('acme').load('oauth')).toEqual(token);
    const [acme, other] = sealedTokens();
    expect(acme!.sealed).toMatch(/^v2:/);
    expect(other!.sealed).toMatch(/^v1:/);
    await expect(ctx.service.store.tokenStore('other').load('oauth')).rejects.toMatchObject({ code: 'SECRET_DECRYPT' });
    expect(ctx.service.store.resealLegacyTokens()).toBe(0);
    // Bound to its key now: copied to another, it does not open there.
    await ctx.close();
    const copy = new Database(join(tmp.dir, 'gwi.db'));
    copy.prepare("INSERT INTO tokens (key, sealed, updated_at) SELECT 'third:oauth', sealed, 1 FROM tokens WHERE key = 'acme:oauth'").run();
    copy.close();
    ctx = await open();
    expect(await ctx.service.store.tokenStore('acme').load('oauth')).toEqual(token);
    await expect(ctx.service.store.tokenStore('third').load('oauth')).rejects.toMatchObject({ code: 'SECRET_DECRYPT' });
  });
});

describe('after the secret key changed', () => {
  it('starts anyway: the file re-seals its connections, an API connection is unavailable (503, /health down, logged) until posted again', async () => {
    const file = join(tmp.dir, 'connections.yaml');
    writeFileSync(file, 'connections:\n  - id: from-file\n    connector: hooks\n    config: { webhook_secret: "${FILE_SECRET}" }\n');
    await ctx.close(); // `acme` (API) was stored by the first start, sealed with TEST_ENV's key
    const logged: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
    // Not startService: it would post `acme` again when it is not running.
    const service = await createService({ dataDir: tmp.dir, manifests: [hooksManifest()], env: { GWI_SECRET_KEY: 'c'.repeat(64), FILE_SECRET: SECRET }, connectionsFile: file, logger, background: false });
    ctx = await withApp(service);

    const post = (connection: string, secret = SECRET) => {
      const d = signedDelivery({ secret });
      return ctx.app.inject({ method: 'POST', url: `/webhooks/hooks/${connection}`, headers: d.headers, payload: d.body });
    };
    expect((await post('from-file')).statusCode).toBe(202);
    const refused = await post('acme');
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toEqual({ code: 'CONNECTION_UNAVAILABLE', message: 'connection acme is not running; its operator is told why' });
    const health = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.connectors.hooks.connections.acme).toMatchObject({ status: 'down', unavailable: expect.stringContaining('sealed with a different key') });
    expect(health.connectors.hooks.connections['from-file']).toMatchObject({ status: 'ok', unavailable: null });
    const errors = logged.filter((line) => line.includes('connection acme is not running'));
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!)).toMatchObject({ level: 50, connection: 'acme', code: 'CONNECTION_UNAVAILABLE', msg: expect.stringMatching(/restore the key .* or POST the connection again/i) });
    const metrics = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('gwi_webhook_deliveries_total{connector="hooks",outcome="unavailable"} 1');
    // The admin API says why (it is the operator's), and what the connection stored can still be read.
    const sync = await ctx.app.inject({ method: 'POST', url: '/api/connections/acme/sync', headers: auth });
    expect(sync.statusCode).toBe(503);
    expect(sync.json().error).toMatchObject({ code: 'CONNECTION_UNAVAILABLE', message: expect.stringMatching(/^connection acme is not running: .*sealed with a different key/), hint: expect.stringContaining('POST the connection again') });
    const records = await ctx.app.inject({ method: 'GET', url: '/api/connections/acme/records/issues', headers: auth });
    expect(records.statusCode).toBe(200);
    expect(records.json()).toEqual({ records: [], next: null, changes_after: '0' });

    // Posted again: sealed with the key in use, and running.
    const again = await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'acme', connector: 'hooks', config: { webhook_secret: 'new-secret' } } });
    expect(again.statusCode).toBe(200); // it replaced the stored connection
    expect((await post('acme', 'new-secret')).statusCode).toBe(202);
    const after = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
    expect(after.connectors.hooks.connections.acme).toMatchObject({ unavailable: null });
  });

  it('a stored connection that this release cannot start (a schedule refused now) is kept, not running, with the reason, until posted again', async () => {
    ctx.service.putConnection({ id: 'old-schedule', connector: 'hooks', config: { webhook_secret: SECRET }, schedule: 'every 1h' }, 'api');
    await ctx.close();
    // What an earlier release stored, and this one refuses (it never fires).
    const db = new Database(join(tmp.dir, 'gwi.db'));
    db.prepare("UPDATE connections SET schedule = '0 0 30 2 *' WHERE id = 'old-schedule'").run();
    db.close();
    ctx = await open();
    expect(ctx.service.getConnection('old-schedule')).toBeUndefined(); // not half-started
    const d = signedDelivery();
    expect((await ctx.app.inject({ method: 'POST', url: '/webhooks/hooks/old-schedule', headers: d.headers, payload: d.body })).statusCode).toBe(503);
    const health = (await ctx.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.connectors.hooks.connections['old-schedule']).toMatchObject({ status: 'down', unavailable: expect.stringContaining('never fires') });
    const sync = await ctx.app.inject({ method: 'POST', url: '/api/connections/old-schedule/sync', headers: auth });
    expect(sync.json().error).toMatchObject({ code: 'CONNECTION_UNAVAILABLE', hint: expect.stringContaining('valid config and schedule') });
    const again = await ctx.app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'old-schedule', connector: 'hooks', config: { webhook_secret: SECRET }, schedule: 'every 2h' } });
    expect(again.statusCode).toBe(200); // it replaced the stored connection
    expect(ctx.service.scheduler.list().map((s) => [s.connectionId, s.schedule])).toContainEqual(['old-schedule', 'every 2h']);
  });
});
