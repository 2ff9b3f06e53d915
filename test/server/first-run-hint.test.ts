import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/serve-process.js';
import { tempDir, TEST_ENV } from '../service/fixtures.js';

/**
 * On a first run (GWI_ADMIN_TOKEN unset, token generated into <data>/admin.token), the start-up
 * line that says how to add a connection gives an Authorization header that works as printed, in a
 * shell where GWI_ADMIN_TOKEN is unset too. Runs `serve` from the sources (tsx) as a child process.
 */

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function withoutAdminToken(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env['GWI_ADMIN_TOKEN'];
  return env;
}

describe('serve, first run', () => {
  it('prints a "no connections yet" curl whose Authorization header reads the generated token', async () => {
    const data = join(tmp.dir, 'data');
    const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/cli/main.ts', 'serve', '--port', '0', '--data', data], {
      cwd: REPO_ROOT, env: withoutAdminToken({ ...TEST_ENV, LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = out.split('\n').find((l) => l.includes('no connections yet'));
          if (found) resolve(found);
        });
        void exited.then((code) => reject(new Error(`serve exited (${code}) before the hint:\n${out}\n${err}`)));
      });
      const message = (JSON.parse(line) as { msg: string }).msg;
      const url = /curl -X POST (\S+)\/api\/connections/.exec(message)?.[1];
      const header = /-H ("Authorization: [^"]*")/.exec(message)?.[1];
      expect(header, message).toBeDefined();
      // What a shell (without GWI_ADMIN_TOKEN) makes of the header as printed.
      const shell = spawnSync('sh', ['-c', `printf %s ${header!}`], { env: withoutAdminToken(), encoding: 'utf8' });
      const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
      expect(shell.stdout).toBe(`Authorization: Bearer ${token}`);
      const list = await fetch(`${url!}/api/connections`, { headers: { authorization: shell.stdout.slice('Authorization: '.length) } });
      expect(list.status).toBe(200);
      // Its body is JSON (placeholders to replace, but valid as printed): posted, it makes a connection.
      const body = /-d '([^']*)'/.exec(message)?.[1];
      expect(() => JSON.parse(body ?? '')).not.toThrow();
      const posted = await fetch(`${url!}/api/connections`, { method: 'POST', body, headers: { authorization: shell.stdout.slice('Authorization: '.length), 'content-type': 'application/json' } });
      expect(posted.status).toBe(201);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 30_000);
});
