/**
 * What `GET /health` and `GET /metrics` cost once the inbox holds many done deliveries (the retention
 * keeps them 7 days by default). serve runs on a data directory filled with BENCH_DELIVERIES done
 * deliveries (default 1,000,000; 1 in 1,000 pending, due tomorrow); each endpoint is timed BENCH_REQUESTS times
 * (default 20) over HTTP, after the time serve took to start on that inbox and to store a first webhook
 * (which waits for the dedupe keys the inbox writer loads at start). In the same run, on the
 * same file, the baseline: the status count /health used to run (`GROUP BY status` over the table),
 * timed the same number of times.
 *
 *   npm run build && tsx bench/store/queue-counts.ts
 *
 * BENCH_OTHER_CLI=/tmp/before/dist/runtime/cli/main.js also times the endpoints of another build
 * (e.g. a git worktree of an older commit, built) on the same data directory.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, freePort, githubHeaders, githubIssuePayload, startServe, waitListening, writeConnectionsFile, type ServeProcess } from '../../test/support/serve-process.js';
import { formatInt, table } from '../support/format.js';

const DELIVERIES = Number(process.env['BENCH_DELIVERIES'] ?? 1_000_000);
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 20);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const max = (values: number[]) => Math.max(...values);
const row = (name: string, ms: number[]) => [name, median(ms).toFixed(2), max(ms).toFixed(2)];

async function timeMs(times: number, call: () => unknown): Promise<number[]> {
  const spent: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await call();
    spent.push(performance.now() - started);
  }
  return spent;
}

/** The deliveries of a busy week, written straight into the tables (setup, not what is measured). */
function fill(file: string): void {
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  const delivery = db.prepare(`INSERT INTO deliveries (connector, connection, delivery_id, event, status, attempts, next_attempt_at, received_at, content_type)
    VALUES ('github', 'acme', ?, 'issues', ?, ?, ?, ?, 'application/json')`);
  const body = db.prepare('INSERT INTO delivery_bodies (seq, headers, body) VALUES (?, ?, ?)');
  const payload = Buffer.from(JSON.stringify({ action: 'opened', padding: 'x'.repeat(1000) }));
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < DELIVERIES; i++) {
      const pending = i % 1000 === 0;
      // Pending ones are due tomorrow: there to be counted, not mapped by serve's dispatcher during the run.
      const seq = delivery.run(`424242:${randomUUID()}`, pending ? 'pending' : 'done', pending ? 0 : 1, pending ? now + 86_400_000 : null, now).lastInsertRowid;
      body.run(seq, '{}', payload);
    }
  })();
  db.close();
}

const dir = mkdtempSync(join(tmpdir(), 'gwi-bench-queue-counts-'));
const dataDir = join(dir, 'data');
const options = { dataDir, connectionsFile: writeConnectionsFile(dir) };
const builds: Array<{ label: string; cli?: string }> = [{ label: 'this build' }];
if (process.env['BENCH_OTHER_CLI']) builds.push({ label: 'other build', cli: process.env['BENCH_OTHER_CLI'] });
let serve: ServeProcess | undefined;
const stop = async () => {
  serve?.child.kill('SIGTERM');
  await serve?.exited;
  serve = undefined;
};
try {
  // A first start creates the database and its schema; the fill goes in while serve is stopped.
  serve = startServe({ ...options, port: await freePort() });
  await waitListening(serve);
  await stop();
  const file = join(dataDir, 'gwi.db');
  fill(file);
  const rows: string[][] = [];
  for (const build of builds) {
    const started = performance.now();
    const running = startServe({ ...options, port: await freePort(), ...(build.cli ? { cli: build.cli } : {}) });
    serve = running;
    await waitListening(running, 120_000);
    rows.push(row(`serve start until /health answers (${build.label})`, [performance.now() - started]));
    // The first webhook waits for the writer's dedupe keys (loaded at start); the endpoints are timed after it.
    const body = githubIssuePayload();
    const accepted = await fetch(`${running.url}/webhooks/github/acme`, { method: 'POST', body, headers: githubHeaders(body, randomUUID()) });
    if (accepted.status !== 202) throw new Error(`webhook: ${accepted.status} ${await accepted.text()}`);
    rows.push(row(`serve start until a webhook is stored (${build.label})`, [performance.now() - started]));
    const get = (path: string) => async () => {
      const reply = await fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (!reply.ok) throw new Error(`${path}: ${reply.status} ${await reply.text()}`);
      await reply.text();
    };
    rows.push(row(`GET /health (${build.label})`, await timeMs(REQUESTS, get('/health'))), row(`GET /metrics (${build.label})`, await timeMs(REQUESTS, get('/metrics'))));
    await stop();
  }
  const db = new Database(file, { readonly: true });
  const scan = db.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status');
  const baseline = await timeMs(REQUESTS, () => scan.all());
  db.close();
  console.log(`${formatInt(DELIVERIES)} deliveries kept, ${REQUESTS} calls each`);
  console.log(table([['call', 'median ms', 'max ms'], ...rows, row('baseline: GROUP BY status over the table', baseline)]));
} finally {
  await stop();
  rmSync(dir, { recursive: true, force: true });
}
