import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  CLI,
  freePort,
  githubDedupeKey,
  githubHeaders,
  githubIssuePayload,
  REPO_ROOT,
  signGithub,
  startServe,
  waitListening,
  writeConnectionsFile,
  type ServeProcess,
} from '../support/serve-process.js';

/**
 * Crash safety of the webhook inbox: several clients send signed deliveries while `serve` is
 * SIGKILLed and restarted several times. A client retries a delivery until it gets a 2xx, as
 * providers do. Afterwards every delivery that got a 2xx is stored, and none twice.
 */
const CLIENTS = 8;
const PER_CLIENT = 300; // 2,400 deliveries in all
const KILLS = 3;
const GIVE_UP_MS = 60_000; // per delivery: longer than any restart, shorter than the test timeout

/** True when dist/ is missing or older than a runtime source file. */
function buildIsStale(): boolean {
  if (!existsSync(CLI)) return true;
  const built = statSync(CLI).mtimeMs;
  const newer = (folder: string): boolean =>
    readdirSync(folder, { withFileTypes: true }).some((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return newer(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && statSync(path).mtimeMs > built;
    });
  return newer(join(REPO_ROOT, 'runtime'));
}

let dir: string;
let port: number;
let serve: ServeProcess | undefined;

async function start(): Promise<ServeProcess> {
  const process_ = startServe({ port, dataDir: join(dir, 'data'), connectionsFile: join(dir, 'connections.yaml') });
  await waitListening(process_);
  return process_;
}

beforeAll(() => {
  // The test runs the built CLI, as users do: build it when `npm test` (pretest) has not.
  if (buildIsStale()) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 170_000 });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }
  dir = mkdtempSync(join(tmpdir(), 'gwi-crash-'));
  writeConnectionsFile(dir);
}, 180_000);

afterAll(async () => {
  if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
    serve.child.kill('SIGKILL');
    await serve.exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('serve under SIGKILL', () => {
  it(`keeps every acknowledged delivery exactly once across ${KILLS} kills (${CLIENTS * PER_CLIENT} deliveries)`, async () => {
    port = await freePort();
    serve = await start();
    const body = githubIssuePayload(2048);
    const signature = signGithub(body);
    const acked = new Set<string>();
    const duplicatesAnswered = new Set<string>();
    let failures = 0;
    let done = false;

    async function client(c: number): Promise<void> {
      for (let n = 0; n < PER_CLIENT; n += 1) {
        const guid = `crash-${c}-${n}`;
        const giveUpAt = Date.now() + GIVE_UP_MS;
        for (;;) {
          try {
            const response = await fetch(`http://127.0.0.1:${port}/webhooks/github/acme`, {
              method: 'POST',
              headers: githubHeaders(body, guid, signature),
              body,
              signal: AbortSignal.timeout(5_000),
            });
            const text = await response.text();
            if (response.status >= 200 && response.status < 300) {
              acked.add(githubDedupeKey(guid));
              if ((JSON.parse(text) as { duplicate?: boolean }).duplicate) duplicatesAnswered.add(guid);
              break;
            }
            // 503 while closing/restarting is fine; anything else is a bug worth seeing
            if (response.status !== 503) throw new Error(`unexpected ${response.status} for ${guid}: ${text}`);
          } catch (error) {
            if ((error as Error).message.startsWith('unexpected')) throw error;
            failures += 1; // connection refused/reset while the server is down
          }
          if (Date.now() > giveUpAt) throw new Error(`delivery ${guid} not acknowledged within ${GIVE_UP_MS} ms:\n${serve?.output()}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }

    async function killer(): Promise<number> {
      let kills = 0;
      const total = CLIENTS * PER_CLIENT;
      while (!done && kills < KILLS) {
        // kill at evenly spaced points of progress, so every kill lands mid-stream
        const target = Math.floor(((kills + 1) * total) / (KILLS + 1));
        while (!done && acked.size < target) await new Promise((r) => setTimeout(r, 5));
        if (done) break;
        serve!.child.kill('SIGKILL');
        await serve!.exited;
        kills += 1;
        serve = await start();
      }
      return kills;
    }

    const killing = killer();
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    done = true;
    const kills = await killing;
    expect(kills).toBe(KILLS);
    expect(acked.size).toBe(CLIENTS * PER_CLIENT);

    // Through the admin API: every acknowledged delivery listed, none twice.
    const listed: string[] = [];
    for (let after: string | null = null; ; ) {
      const query = new URLSearchParams({ connection: 'acme', limit: '1000', ...(after ? { after } : {}) });
      const response = await fetch(`http://127.0.0.1:${port}/api/deliveries?${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { deliveries: Array<{ id: string }>; next: string | null };
      listed.push(...page.deliveries.map((d) => d.id));
      if (!page.next || page.deliveries.length === 0) break;
      after = page.next;
    }
    expect(new Set(listed).size).toBe(listed.length);
    const listedSet = new Set(listed);
    const missing = [...acked].filter((id) => !listedSet.has(id));
    expect(missing).toEqual([]);

    // And in the SQLite file itself, after a graceful stop.
    serve.child.kill('SIGTERM');
    await serve.exited;
    const db = new Database(join(dir, 'data', 'gwi.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT delivery_id AS id, COUNT(*) AS n FROM deliveries WHERE connection = ? GROUP BY delivery_id').all('acme') as Array<{ id: string; n: number }>;
      expect(rows.filter((r) => r.n !== 1)).toEqual([]);
      const stored = new Set(rows.map((r) => r.id));
      expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      db.close();
    }
    // Informational: how often the crash forced a client to resend, and the server then said "duplicate".
    console.info(`crash test: ${kills} kills, ${failures} failed attempts retried, ${duplicatesAnswered.size} retries answered as duplicates`);
  }, 240_000);
});
