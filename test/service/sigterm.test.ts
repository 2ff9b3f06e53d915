import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  githubDedupeKey,
  githubHeaders,
  githubIssuePayload,
  REPO_ROOT,
  signGithub,
  startListening,
  writeConnectionsFile,
  type ServeProcess,
} from '../support/serve-process.js';

/**
 * Graceful shutdown of the built `serve` under SIGTERM, mid-burst: it exits 0 (not killed by the
 * signal), answers every request it took in (202, or 503 once the store closed), refuses the rest at
 * the TCP level, and every 202 is in the database afterwards.
 */

const WORKERS = 16;
const SIGTERM_AFTER = 60; // 202s seen before the signal
const BODY = githubIssuePayload(1024);
const SIGNATURE = signGithub(BODY);

/** dist/ is missing or older than some runtime source: build it as `npm test` (pretest) would. */
function ensureBuilt(): void {
  const builtAt = (() => {
    try {
      return statSync(CLI).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const sources = readdirSync(join(REPO_ROOT, 'runtime'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  if (builtAt > 0 && sources.every((f) => statSync(join(REPO_ROOT, 'runtime', f)).mtimeMs <= builtAt)) return;
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 170_000 });
  if (statSync(CLI, { throwIfNoEntry: false }) === undefined) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
}

type Outcome = { guid: string; status: number } | { guid: string; error: string; gotResponse: boolean };

/** One POST on its own connection (no keep-alive), so a refused connection is told apart from a cut-off answer. */
function post(url: string, guid: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let gotResponse = false;
    const req = request(`${url}/webhooks/github/acme`, { method: 'POST', agent: false, headers: githubHeaders(BODY, guid, SIGNATURE) }, (res) => {
      gotResponse = true;
      res.resume();
      res.on('end', () => resolve({ guid, status: res.statusCode ?? 0 }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ guid, error: error.code ?? error.message, gotResponse }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ guid, error: error.code ?? error.message, gotResponse }));
    req.end(BODY);
  });
}

// The test runs the built CLI, as users do.
beforeAll(ensureBuilt, 180_000);

describe('serve under SIGTERM', () => {
  it('exits 0 mid-burst, answering every request it took in, and keeps every 202', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwi-sigterm-'));
    const running = await startListening({ dataDir: join(dir, 'data'), connectionsFile: writeConnectionsFile(dir) });
    try {
      await burstThenSigterm(dir, running);
    } finally {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
      await running.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** Bursts signed deliveries, sends SIGTERM after SIGTERM_AFTER 202s, and checks answers, exit code and the database. */
async function burstThenSigterm(dir: string, running: ServeProcess): Promise<void> {
  const outcomes: Outcome[] = [];
  let accepted = 0;
  let signalled = false;
  let sent = 0;
  // Each worker posts until its connection is refused (the listener closed).
  const worker = async (w: number): Promise<void> => {
    for (;;) {
      const outcome = await post(running.url, `sigterm-${w}-${sent++}`);
      outcomes.push(outcome);
      if ('status' in outcome && outcome.status === 202 && ++accepted >= SIGTERM_AFTER && !signalled) {
        signalled = true;
        running.child.kill('SIGTERM');
      }
      if ('error' in outcome && outcome.error === 'ECONNREFUSED') return;
      if (sent > 20_000) throw new Error('serve kept listening after SIGTERM');
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  expect(signalled).toBe(true);
  // Exit code 0 from the graceful handler, not the signal's default (the exit would read "SIGTERM").
  expect(await running.exited, running.output()).toBe('0');

  const answered = outcomes.filter((o): o is Extract<Outcome, { status: number }> => 'status' in o);
  const failed = outcomes.filter((o): o is Extract<Outcome, { error: string }> => 'error' in o);
  expect(answered.filter((o) => o.status !== 202 && o.status !== 503)).toEqual([]);
  // No answer was cut off once it had started...
  expect(failed.filter((o) => o.gotResponse)).toEqual([]);
  // ...and a request that failed was never taken in: refused, or reset before the server read it.
  expect(failed.filter((o) => o.error !== 'ECONNREFUSED' && o.error !== 'ECONNRESET')).toEqual([]);

  const db = new Database(join(dir, 'data', 'gwi.db'), { readonly: true, fileMustExist: true });
  try {
    const stored = new Set((db.prepare('SELECT delivery_id AS id FROM deliveries WHERE connection = ?').all('acme') as Array<{ id: string }>).map((r) => r.id));
    const acked = answered.filter((o) => o.status === 202).map((o) => githubDedupeKey(o.guid));
    expect(acked.length).toBeGreaterThanOrEqual(SIGTERM_AFTER);
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    // A stored delivery whose request failed would be one the server took in and then dropped the answer of.
    expect(failed.map((o) => githubDedupeKey(o.guid)).filter((id) => stored.has(id))).toEqual([]);
  } finally {
    db.close();
  }
}
