import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../runtime/errors/index.js';
import { loadManifest } from '../../runtime/manifest/index.js';
import { buildApp } from '../../runtime/server/index.js';
import { createService, type Service, type ServiceOptions } from '../../runtime/service/index.js';
import { ADMIN, auth, hooksManifest, SECRET, signedDelivery, tempDir, TEST_ENV } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
let opened: Service[] = [];
let logged: string[] = [];

beforeEach(() => {
  tmp = tempDir();
  logged = [];
});
afterEach(async () => {
  for (const service of opened) await service.close();
  opened = [];
  tmp.cleanup();
});

const logger = () => pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });

async function start(options: Partial<ServiceOptions> = {}): Promise<Service> {
  const service = await createService({ dataDir: tmp.dir, manifests: [hooksManifest()], env: TEST_ENV, background: false, logger: logger(), ...options });
  opened.push(service);
  return service;
}

async function stop(service: Service): Promise<void> {
  opened = opened.filter((s) => s !== service);
  await service.close();
}

function connectionsFile(text: string): string {
  const file = join(tmp.dir, 'connections.yaml');
  writeFileSync(file, text);
  return file;
}

async function refusedStart(options: Partial<ServiceOptions>): Promise<ConnectorError> {
  try {
    await start(options);
  } catch (error) {
    if (error instanceof ConnectorError) return error;
    throw error;
  }
  throw new Error('expected the start to be refused');
}

/** A signed webhook to `connection`, through the HTTP app: accepted (202) and stored. */
async function deliver(service: Service, connection: string): Promise<ReturnType<typeof signedDelivery>> {
  const app = await buildApp({ service, adminToken: ADMIN });
  try {
    const d = signedDelivery();
    expect((await app.inject({ method: 'POST', url: `/webhooks/hooks/${connection}`, headers: d.headers, payload: d.body })).statusCode).toBe(202);
    return d;
  } finally {
    await app.close();
  }
}

const hooksEntry = (id: string, extra = '') => `  - id: ${id}\n    connector: hooks\n    config: { webhook_secret: "\${HOOK_SECRET}"${extra} }\n`;
const fileEnv = { ...TEST_ENV, HOOK_SECRET: SECRET };

describe('a refused start changes nothing already stored (audit10-api #1)', () => {
  it('an API connection named by the file keeps its config, sealed secret, schedule and source when a later entry is refused', async () => {
    const first = await start();
    first.putConnection({ id: 'beta', connector: 'hooks', config: { webhook_secret: 'api-secret', token: 'api-token', repositories: ['acme/from-api'] }, schedule: 'every 1h' }, 'api');
    await stop(first);

    // beta from the file, then gamma without its required webhook_secret: refused.
    const file = connectionsFile(`connections:\n${hooksEntry('beta', ', repositories: [acme/from-file]')}  - id: gamma\n    connector: hooks\n    config: { token: t }\n`);
    const error = await refusedStart({ connectionsFile: file, env: fileEnv });
    // As clear as before: file:line:col, the entry, the path and the fix.
    expect(error.format()).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: connection "gamma" \\(connections\\[1\\]\\): config does not match the hooks spec: config.webhook_secret is required \\(at connections\\[1\\]\\.config\\.webhook_secret\\)\\. Fix the config value`));

    const again = await start();
    expect(again.getConnection('beta')).toMatchObject({ source: 'api', schedule: 'every 1h', config: { repositories: ['acme/from-api'] }, secrets: ['token', 'webhook_secret'] });
    expect(again.secretValues()).toEqual(expect.arrayContaining(['api-secret', 'api-token']));
    expect(again.getConnection('gamma')).toBeUndefined();
  });
});

describe('a schema upgrade is logged, being one-way (upgrade11 #5)', () => {
  it('a start that upgrades gwi.db says from which version to which, and how to go back; a fresh one says nothing', async () => {
    await stop(await start());
    expect(logged.some((line) => line.includes('upgraded from database schema version'))).toBe(false);
    const db = new Database(join(tmp.dir, 'gwi.db'));
    const current = db.pragma('user_version', { simple: true }) as number;
    db.pragma(`user_version = ${current - 1}`); // the last migration changes no table: it may run again
    db.close();
    logged = [];
    await start();
    const said = logged.map((line) => JSON.parse(line) as { level: number; msg: string; from?: number; to?: number }).filter((entry) => entry.msg.includes('upgraded'));
    expect(said).toEqual([expect.objectContaining({ level: 40, from: current - 1, to: current, msg: expect.stringMatching(/gwi\.db upgraded from database schema version \d+ to \d+: .*STORE_VERSION.*backup of gwi\.db made before this start$/) })]);
  });
});

describe('the file is applied in one transaction', () => {
  it('a write that fails part-way (here a trigger standing in for an I/O error) leaves every stored connection as it was', async () => {
    await stop(await start({ connectionsFile: connectionsFile(`connections:\n${hooksEntry('first', ', repositories: [acme/a]')}${hooksEntry('gone')}`), env: fileEnv }));
    const db = new Database(join(tmp.dir, 'gwi.db'));
    db.exec("CREATE TRIGGER fail_second BEFORE INSERT ON connections WHEN NEW.id = 'second' BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END");
    db.close();

    // first changed, gone dropped, second added: the last write fails.
    await expect(start({ connectionsFile: connectionsFile(`connections:\n${hooksEntry('first', ', repositories: [acme/b]')}${hooksEntry('second')}`), env: fileEnv })).rejects.toThrow(/disk I\/O error \(test\)/);

    const again = await start();
    expect(again.listConnections().map((c) => c.id)).toEqual(['first', 'gone']);
    expect(again.getConnection('first')).toMatchObject({ config: { repositories: ['acme/a'] } });
  });
});

describe('a connection the file lists no more is removed at start (audit10-api #4)', () => {
  it('like a DELETE: stopped and forgotten, its deliveries kept, one log line naming it; API connections untouched', async () => {
    const both = connectionsFile(`connections:\n${hooksEntry('keep')}${hooksEntry('gone')}`);
    const first = await start({ connectionsFile: both, env: fileEnv });
    first.putConnection({ id: 'from-api', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
    const d = await deliver(first, 'gone');
    await stop(first);

    logged = [];
    const second = await start({ connectionsFile: connectionsFile(`connections:\n${hooksEntry('keep')}`), env: fileEnv });
    expect(second.listConnections().map((c) => [c.id, c.source])).toEqual([['from-api', 'api'], ['keep', 'file']]);
    expect(second.unavailableConnection('gone')).toBeUndefined();
    expect(second.takesWebhooks('hooks', 'gone')).toBe(false);
    expect(second.scheduler.list().map((s) => s.connectionId)).not.toContain('gone');
    expect(second.store.listDeliveries({ connection: 'gone', limit: 10 }).map((row) => row.id)).toEqual([d.id]);
    const removed = logged.filter((line) => line.includes('gone'));
    expect(removed).toHaveLength(1);
    expect(JSON.parse(removed[0]!)).toMatchObject({ level: 40, connections: ['gone'], msg: expect.stringMatching(/^connection gone removed: .*connections\.yaml lists it no more/) });
    // The API may now post it (it was the file's; the file no longer defines it).
    expect(second.putConnection({ id: 'gone', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api')).toMatchObject({ source: 'api' });
    await stop(second);

    const none = await start({ connectionsFile: connectionsFile('connections: []\n'), env: fileEnv });
    expect(none.listConnections().map((c) => c.id)).toEqual(['from-api', 'gone']);
  });

  it('without --connections, what an earlier file gave keeps running as stored (and the API may change or remove it)', async () => {
    await stop(await start({ connectionsFile: connectionsFile(`connections:\n${hooksEntry('keep')}`), env: fileEnv }));
    const without = await start();
    expect(without.getConnection('keep')).toMatchObject({ source: 'file' });
    expect(without.takesWebhooks('hooks', 'keep')).toBe(true);
    expect(logged.some((line) => line.includes('removed'))).toBe(false);
    expect(without.removeConnection('keep')).toBe('removed');
  });
});

describe('a ${VAR} set but empty (audit10-api #17)', () => {
  it('is used as "" and warned about at start, naming the config key', async () => {
    const service = await start({ connectionsFile: connectionsFile(`connections:\n${hooksEntry('acme', ', token: "${EMPTY_TOKEN}"')}`), env: { ...fileEnv, EMPTY_TOKEN: '' } });
    expect(service.getConnection('acme')).toBeDefined();
    const warned = logged.filter((line) => line.includes('EMPTY_TOKEN'));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0]!)).toMatchObject({ level: 40, connection: 'acme', key: 'config.token', variable: 'EMPTY_TOKEN', msg: expect.stringContaining('config.token') });
    expect(logged.some((line) => line.includes('HOOK_SECRET'))).toBe(false);
  });
});

describe('CONFIG_INVALID never shows a secret (audit10-api #2, security #2)', () => {
  const manifests = async () => [hooksManifest(), await loadManifest('github')];

  it('through POST /api/connections: a secret in the first key, under a root anyOf', async () => {
    const service = await start({ manifests: await manifests() });
    const app = await buildApp({ service, adminToken: ADMIN });
    try {
      for (const config of [{ token: 'TOKENSECRET-API', webhook_secret: 'HOOKSECRET-API' }, { webhook_secret: 'SUPERSECRET-API', repositories: ['acme/api'] }]) {
        const reply = await app.inject({ method: 'POST', url: '/api/connections', headers: auth, payload: { id: 'gh', connector: 'github', config } });
        expect(reply.statusCode).toBe(400);
        expect(reply.json().error.message).toMatch(/give one of config\.(repositories|token)/);
        expect(reply.body).not.toMatch(/SECRET-API/);
      }
    } finally {
      await app.close();
    }
    expect(logged.join('')).not.toMatch(/SECRET-API/);
  });

  it('through the connections file: the expanded ${ENV} value is not in the message', async () => {
    const file = connectionsFile('connections:\n  - id: gh\n    connector: github\n    config:\n      token: ${AUDIT_GH_TOKEN}\n      webhook_secret: w\n');
    const error = await refusedStart({ manifests: await manifests(), connectionsFile: file, env: { ...TEST_ENV, AUDIT_GH_TOKEN: 'ghp_ENVSECRET' } });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toContain('give one of config.repositories or config.organization');
    expect(error.format()).not.toContain('ENVSECRET');
    expect(JSON.stringify(error.context)).not.toContain('ENVSECRET');
  });
});

describe('replaying a delivery of a stored connection that is not running (audit10-api #9)', () => {
  it('is refused CONNECTION_UNAVAILABLE with the reason, not "removed"', async () => {
    const first = await start();
    first.putConnection({ id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
    const d = await deliver(first, 'acme');
    await stop(first);

    const service = await start({ env: { GWI_SECRET_KEY: 'c'.repeat(64) } });
    expect(service.unavailableConnection('acme')).toBeDefined();
    for (const connection of [undefined, 'acme']) {
      await expect(service.replay(d.id, connection)).rejects.toMatchObject({
        code: 'CONNECTION_UNAVAILABLE',
        message: expect.stringMatching(/^connection acme is not running: .*sealed with a different key/),
        hint: expect.stringContaining('POST the connection again'),
      });
    }
    const api = await buildApp({ service, adminToken: ADMIN });
    try {
      const reply = await api.inject({ method: 'POST', url: `/api/deliveries/${encodeURIComponent(d.id)}/replay`, headers: auth });
      expect(reply.statusCode).toBe(503);
      expect(reply.json().error).toMatchObject({ code: 'CONNECTION_UNAVAILABLE', message: expect.stringContaining('sealed with a different key') });
    } finally {
      await api.close();
    }
    // Unknown ids are still not found.
    expect(await service.replay('77:nope')).toEqual({ result: 'not_found' });
  });
});
