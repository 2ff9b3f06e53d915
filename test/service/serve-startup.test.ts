import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { serve, type ServeArgs } from '../../runtime/cli/commands/serve.js';
import { runWorker } from '../../runtime/cli/commands/worker.js';
import { envDefault } from '../../runtime/cli/startup-settings.js';
import { startupFailureText } from '../../runtime/cli/until-signal.js';
import { ConnectorError, isConnectorError } from '../../runtime/errors/index.js';
import { assertBuilt, CLI, REPO_ROOT } from '../support/serve-process.js';
import { TEST_ENV, tempDir } from './fixtures.js';

/**
 * A refused start of `serve` / `worker` says what is wrong, where (flag and variable) and how to fix
 * it, in one line, and leaves nothing open behind it (so the process exits).
 */

let tmp: ReturnType<typeof tempDir>;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  tmp.cleanup();
});

const ENV = { ...TEST_ENV, GWI_ADMIN_TOKEN: 'adm-token-0123456789', LOG_LEVEL: 'silent' };
const args = (extra: Partial<ServeArgs> = {}): ServeArgs => ({ port: '0', host: '127.0.0.1', data: join(tmp.dir, 'data'), bus: 'local', ...extra });
const workerArgs = (data: string) => ({ data, subscriptionPrefix: '', maxAttempts: '5' });

/** The one-line form the CLI prints, for assertions on what a user reads. */
async function refusal(start: Promise<unknown>): Promise<ConnectorError> {
  const error = await start.then(() => undefined, (e: unknown) => e);
  if (!isConnectorError(error)) throw new Error(`expected a ConnectorError, got ${error instanceof Error ? error.stack : String(error)}`);
  return error;
}

async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  cleanups.push(() => new Promise((done) => server.close(done)));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

describe('serve refuses bad settings before opening anything', () => {
  it.each([['abc'], ['70000'], [''], ['-1'], ['0x50']])('--port %j: CONFIG_INVALID naming --port (PORT), no data dir created', async (port) => {
    const error = await refusal(serve(args({ port }), ENV));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toContain(`--port (PORT) must be a port number from 0 to 65535, got ${JSON.stringify(port)}`);
    // Checked before the data dir, the database and the dispatcher: nothing to close afterwards.
    expect(existsSync(join(tmp.dir, 'data'))).toBe(false);
  });

  it.each([['x'], [''], ['-2']])('--retention-days %j: CONFIG_INVALID naming --retention-days (GWI_RETENTION_DAYS)', async (days) => {
    const error = await refusal(serve(args({ retentionDays: days }), ENV));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('--retention-days (GWI_RETENTION_DAYS) must be a number of days') });
    expect(existsSync(join(tmp.dir, 'data'))).toBe(false);
  });

  it.each([['x'], [''], ['0'], ['1.5'], ['-3']])('--upload-buffer-mb %j: CONFIG_INVALID naming --upload-buffer-mb (GWI_UPLOAD_BUFFER_MB)', async (mb) => {
    const error = await refusal(serve(args({ uploadBufferMb: mb }), ENV));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: `--upload-buffer-mb (GWI_UPLOAD_BUFFER_MB) must be a whole number of MiB (1 or more), got ${JSON.stringify(mb)}` });
    expect(existsSync(join(tmp.dir, 'data'))).toBe(false);
  });

  it('--max-attempts "": refused, where an empty GWI_MAX_ATTEMPTS means the default', async () => {
    await expect(serve(args({ maxAttempts: ' ' }), ENV)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: '--max-attempts (GWI_MAX_ATTEMPTS) is empty' });
    expect(existsSync(join(tmp.dir, 'data'))).toBe(false);
  });

  it('a port in use: CONFIG_INVALID naming the address and --port (PORT), refused before the service is opened', async () => {
    const port = await occupiedPort();
    const error = await refusal(serve(args({ port: String(port) }), ENV));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toBe(`127.0.0.1:${port} is already in use (EADDRINUSE). Choose another --port (PORT), or stop what listens there. [CONFIG_INVALID]`);
    // Nothing was opened: no database, and the same data dir serves right away.
    expect(existsSync(join(tmp.dir, 'data', 'gwi.db'))).toBe(false);
    const again = await serve(args(), ENV);
    await again.close();
  });

  it('a start refused for its port or its admin token has not applied the connections file: an API connection it names is kept as it was', async () => {
    const token = ENV.GWI_ADMIN_TOKEN;
    const first = await serve(args(), ENV);
    const posted = await fetch(`${first.url}/api/connections`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'beta', connector: 'github', config: { token: 'api-token-value', repositories: ['acme/from-api'] }, schedule: 'every 1h' }),
    });
    expect(posted.status).toBe(201);
    await first.close();
    const file = join(tmp.dir, 'connections.yaml');
    writeFileSync(file, 'connections:\n  - id: beta\n    connector: github\n    config:\n      token: file-token-value\n      repositories: [acme/from-file]\n');
    // Refused for the port, then for the token file: neither start may replace beta.
    const port = await occupiedPort();
    expect((await refusal(serve(args({ port: String(port), connections: file }), ENV))).message).toContain('is already in use');
    writeFileSync(join(tmp.dir, 'data', 'admin.token'), '');
    const { GWI_ADMIN_TOKEN: _unset, ...withoutToken } = ENV;
    expect((await refusal(serve(args({ connections: file }), withoutToken))).message).toContain('is empty');
    const again = await serve(args(), ENV);
    try {
      const listed = (await (await fetch(`${again.url}/api/connections`, { headers: { authorization: `Bearer ${token}` } })).json()) as { connections: Array<{ id: string; source: string; schedule: string | null; config: { repositories: string[] } }> };
      expect(listed.connections.find((c) => c.id === 'beta')).toMatchObject({ source: 'api', schedule: 'every 1h', config: { repositories: ['acme/from-api'] } });
    } finally {
      await again.close();
    }
  });

  it('a host that is no address: CONFIG_INVALID naming --host (HOST)', async () => {
    const error = await refusal(serve(args({ host: '999.1.1.1' }), ENV));
    expect(error.message).toContain('--host (HOST) 999.1.1.1 is neither an IP address nor a name that resolves');
    const again = await serve(args(), ENV);
    await again.close();
  });

  it('GWI_ADMIN_TOKEN under 16 characters: CONFIG_INVALID saying so, before the data dir is made', async () => {
    const error = await refusal(serve(args(), { ...ENV, GWI_ADMIN_TOKEN: 'short-token' }));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: 'the admin token in GWI_ADMIN_TOKEN is 11 characters long; it must have at least 16' });
    expect(error.hint).toContain('openssl rand');
    expect(existsSync(join(tmp.dir, 'data'))).toBe(false);
  });

  it('an empty admin.token file: CONFIG_INVALID naming it (it locked the admin API out with no word), refused before the service is opened', async () => {
    mkdirSync(join(tmp.dir, 'data'));
    writeFileSync(join(tmp.dir, 'data', 'admin.token'), '\n');
    const error = await refusal(serve(args(), { ...TEST_ENV, LOG_LEVEL: 'silent' }));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: `the admin token in ${join(tmp.dir, 'data', 'admin.token')} is empty; it must have at least 16` });
    expect(error.hint).toContain('Delete');
    expect(existsSync(join(tmp.dir, 'data', 'gwi.db'))).toBe(false);
    const again = await serve(args(), ENV);
    await again.close();
  });

  it('a data dir made by serve is private: the directory 0700, gwi.db and its WAL 0600', async () => {
    const running = await serve(args(), ENV);
    try {
      const fetched = await fetch(`${running.url}/health`);
      expect(fetched.status).toBe(200);
      const mode = (path: string) => statSync(path).mode & 0o777;
      expect(mode(join(tmp.dir, 'data'))).toBe(0o700);
      for (const name of ['gwi.db', 'gwi.db-wal']) expect([name, mode(join(tmp.dir, 'data', name))]).toEqual([name, 0o600]);
    } finally {
      await running.close();
    }
  });

  it('a fresh data dir whose start fails keeps no unprinted admin token', async () => {
    const port = await occupiedPort();
    await refusal(serve(args({ port: String(port) }), { ...TEST_ENV, LOG_LEVEL: 'silent' }));
    expect(existsSync(join(tmp.dir, 'data', 'admin.token'))).toBe(false);
  });
});

describe('--data (GWI_DATA_DIR) that cannot be used', () => {
  const cases: Array<[string, (dir: string) => string, string]> = [
    ['a path through a file', (dir) => { writeFileSync(join(dir, 'file'), ''); return join(dir, 'file', 'data'); }, 'a part of the path is a file, not a directory (ENOTDIR)'],
    ['a file', (dir) => { writeFileSync(join(dir, 'file'), ''); return join(dir, 'file'); }, 'it is a file, not a directory (EEXIST)'],
    ['a gwi.db that is a directory', (dir) => { mkdirSync(join(dir, 'd', 'gwi.db'), { recursive: true }); return join(dir, 'd'); }, 'gwi.db is a directory, not the database file'],
  ];

  it.each(cases)('serve, %s: CONFIG_INVALID naming the flag, the path, the reason and the fix', async (_name, make, reason) => {
    const data = make(tmp.dir);
    const error = await refusal(serve(args({ data }), ENV));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toContain(`--data (GWI_DATA_DIR) ${data} cannot be used as the data directory: `);
    expect(error.format()).toContain(reason);
    expect(error.hint).toContain('Give a writable directory');
  });

  it.each(cases)('worker, %s: the same', async (_name, make, reason) => {
    const data = make(tmp.dir);
    const error = await refusal(runWorker(workerArgs(data), ENV));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toContain(`--data (GWI_DATA_DIR) ${data} cannot be used as the data directory: `);
    expect(error.format()).toContain(reason);
  });

  it('serve, a gwi.db that is not a database: STORE_FOREIGN naming --data and the file', async () => {
    const data = join(tmp.dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'gwi.db'), 'not a database, just text that is long enough to have a header page '.repeat(20));
    // No GWI_SECRET_KEY: a start that went on would create <data>/secret.key.
    const { GWI_SECRET_KEY: _key, ...withoutKey } = ENV;
    const error = await refusal(serve(args({ data }), withoutKey));
    expect(error.code).toBe('STORE_FOREIGN');
    expect(error.format()).toMatch(/--data \(GWI_DATA_DIR\): .*gwi\.db is not a gwi-connectors database: it is not an SQLite database/);
    // Nothing of ours is left beside someone else's file: no key, no lock, no WAL.
    expect(readdirSync(data)).toEqual(['gwi.db']);
  });
});

describe('worker --max-attempts (GWI_MAX_ATTEMPTS) and --retention-days (GWI_RETENTION_DAYS)', () => {
  it.each([['3'], [''], ['5.5']])('%j is refused naming the flag and the variable, before the data dir is made', async (maxAttempts) => {
    const data = join(tmp.dir, 'w');
    const error = await refusal(runWorker({ ...workerArgs(data), maxAttempts }, ENV));
    expect(error.message).toContain(`--max-attempts (GWI_MAX_ATTEMPTS) must be an integer from 5 to 100 (Pub/Sub's bounds), got ${JSON.stringify(maxAttempts)}`);
    expect(existsSync(data)).toBe(false);
  });
  it.each([['x'], [''], ['-2']])('--retention-days %j: CONFIG_INVALID naming the flag and the variable, before the data dir is made', async (retentionDays) => {
    const data = join(tmp.dir, 'w');
    const error = await refusal(runWorker({ ...workerArgs(data), retentionDays }, ENV));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: `--retention-days (GWI_RETENTION_DAYS) must be a number of days (0 or more), got ${JSON.stringify(retentionDays)}` });
    expect(existsSync(data)).toBe(false);
  });
});

describe('start-up messages', () => {
  it('an empty environment variable counts as unset (PORT= is not "any port")', () => {
    expect(envDefault('PORT', { PORT: '' })).toBeUndefined();
    expect(envDefault('PORT', { PORT: '  ' })).toBeUndefined();
    expect(envDefault('PORT', { PORT: '9000' })).toBe('9000');
  });

  it('an unexpected error is one line naming the command; the stack only at LOG_LEVEL=debug', () => {
    const error = new Error('disk on fire');
    expect(startupFailureText('serve', error, {})).toBe('gwi-connectors serve: disk on fire');
    const debug = startupFailureText('worker', error, { LOG_LEVEL: 'debug' });
    expect(debug.split('\n')[0]).toBe('gwi-connectors worker: disk on fire');
    expect(debug).toContain('serve-startup.test.ts');
  });
});

/** The built CLI as a child process: the exit code and what a user reads. */
function runCli(cliArgs: string[], env: NodeJS.ProcessEnv, deadlineMs = 20_000): Promise<{ code: number | string; output: string }> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...cliArgs], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((done) => {
    // A hang is the bug this catches: kill the child at the deadline and report it as such.
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code: signal === 'SIGKILL' ? 'hung' : signal ?? code ?? -1, output });
    });
  });
}

describe('gwi-connectors serve (built CLI) exits at once on a refused start', () => {
  it('--port abc: exit 1 with one line', async () => {
    const { code, output } = await runCli(['serve', '--port', 'abc', '--data', join(tmp.dir, 'data')], ENV);
    expect(code).toBe(1);
    expect(output.trim()).toBe('--port (PORT) must be a port number from 0 to 65535, got "abc". For example --port 8080; 0 picks a free port. [CONFIG_INVALID]');
  }, 30_000);

  it('PORT=abc: the same, naming the variable', async () => {
    const { code, output } = await runCli(['serve', '--data', join(tmp.dir, 'data')], { ...ENV, PORT: 'abc' });
    expect(code).toBe(1);
    expect(output).toContain('--port (PORT) must be a port number');
  }, 30_000);

  it('a port in use: exit 1 with one line, no stack', async () => {
    const port = await occupiedPort();
    const { code, output } = await runCli(['serve', '--port', String(port), '--data', join(tmp.dir, 'data')], ENV);
    expect(code).toBe(1);
    expect(output.trim()).toBe(`127.0.0.1:${port} is already in use (EADDRINUSE). Choose another --port (PORT), or stop what listens there. [CONFIG_INVALID]`);
  }, 30_000);

  it('--bus pubsub with a body directory it cannot write: exit 1 with one line naming it and --bodies (not on the first large body)', async () => {
    const notADirectory = join(tmp.dir, 'a-file');
    writeFileSync(notADirectory, '');
    const { code, output } = await runCli(['serve', '--port', '0', '--data', join(tmp.dir, 'data'), '--bus', 'pubsub', '--bodies', join(notADirectory, 'bodies')], {
      ...ENV, GWI_PUBSUB_PROJECT: 'startup-test', PUBSUB_EMULATOR_HOST: '127.0.0.1:9',
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^Cannot write large bodies to the body directory ${join(notADirectory, 'bodies')}: .*ENOTDIR.*--bodies / GWI_BODIES_DIR.*\\[BUS_CONFIG\\]$`))]);
  }, 30_000);
});
