/**
 * CPU profile of `serve` under the ingest bench's load: starts serve with `--cpu-prof`, runs
 * autocannon at full speed for BENCH_DURATION seconds, stops serve (SIGTERM writes the profile) and
 * prints the top self-time functions and files of every thread's profile.
 *
 *   npm run build && tsx bench/ingest/profile.ts      # BENCH_DURATION=8 BENCH_RATE=0 (0 = max)
 */
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, freePort, serveEnv, writeConnectionsFile } from '../../test/support/serve-process.js';
import { signedWebhookRequests, threadCpuMs } from './support.js';

const DURATION = Number(process.env['BENCH_DURATION'] ?? 8);
const RATE = Number(process.env['BENCH_RATE'] ?? 0);

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

function summarise(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fnTime = new Map<string, number>();
  const fileTime = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const short = url.replace(/^.*node_modules\//, 'nm/').replace(/^.*\/dist\//, 'dist/').replace(/^file:\/\//, '');
    fnTime.set(`${functionName || '(anon)'} ${short}:${lineNumber + 1}`, (fnTime.get(`${functionName || '(anon)'} ${short}:${lineNumber + 1}`) ?? 0) + us);
    const key = short.startsWith('nm/') ? short.split('/').slice(0, short.startsWith('nm/@') ? 3 : 2).join('/') : short || functionName;
    fileTime.set(key, (fileTime.get(key) ?? 0) + us);
  }
  // Inclusive time of our own functions (runtime/): which part of the service the time is spent under.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url } = byId.get(at)!.callFrame;
      if (!url.includes('/runtime/')) continue;
      const key = `${functionName || '(anon)'} ${url.replace(/^.*\/dist\//, '')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
  return `${file}: ${(total / 1e6).toFixed(1)} s sampled\n top functions (self):\n${top(fnTime, 25)}\n top files (self):\n${top(fileTime, 15)}\n top runtime/ functions (inclusive):\n${top(inclusive, 20)}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'gwi-ingest-prof-'));
const profDir = process.env['BENCH_PROFILE_DIR'] ?? join(dir, 'prof');
const port = await freePort();
// --cpu-prof is refused in NODE_OPTIONS: spawn the CLI with the flag (as test/support's startServe does otherwise).
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, CLI, 'serve', '--port', String(port), '--data', join(dir, 'data'), '--connections', writeConnectionsFile(dir)], { env: serveEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
const serve = { child, url: `http://127.0.0.1:${port}`, exited: new Promise((done) => child.once('exit', done)) };
async function waitListening(): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null) throw new Error('serve exited before listening');
    if (await fetch(`${serve.url}/health`, { signal: AbortSignal.timeout(1_000) }).then(() => true, () => false)) return;
  }
  throw new Error('serve did not listen');
}
try {
  await waitListening();
  const result = await autocannon({
    url: `${serve.url}/webhooks/github/acme`, method: 'POST', connections: 64, duration: DURATION, ...(RATE ? { overallRate: RATE } : {}),
    requests: signedWebhookRequests(),
  });
  process.stdout.write(`req/s ${result.requests.average}  p50 ${result.latency.p50}  p99 ${result.latency.p99}  non2xx ${result.non2xx}\n`);
  // Server-side ingest latency (body received -> durable answer), to tell queueing outside the handler from time inside it.
  const metrics = await (await fetch(`${serve.url}/metrics`)).text();
  process.stdout.write(`${metrics.split('\n').filter((l) => l.startsWith('gwi_webhook_ingest_seconds_bucket')).join('\n')}\n`);
  // CPU time per thread of serve (main loop, inbox worker, checkpointer, libuv pool, V8 helpers).
  const requests = result.requests.total;
  for (const [thread, ms] of [...threadCpuMs(child.pid!)].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`  thread ${thread.padEnd(24)} ${ms} ms CPU, ${((ms * 1000) / requests).toFixed(0)} us/request\n`);
  }
} finally {
  serve.child.kill('SIGTERM');
  await serve.exited;
}
for (const file of readdirSync(profDir)) process.stdout.write(summarise(join(profDir, file)));
if (!process.env['BENCH_PROFILE_DIR']) rmSync(dir, { recursive: true, force: true });
