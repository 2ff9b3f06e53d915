/**
 * Alternating comparison of serve builds or settings, for deciding whether a change helps: on this
 * shared VM, speed drifts by tens of percent within a minute, so only runs that take turns give a
 * usable signal. Each variant is its own serve process with its own data directory; after a warm-up
 * each, the variants run in turn (order reversed every round), and after each run the dispatcher
 * maps the backlog before the next run starts. Every run prints req/s, p50/p99, serve's CPU per
 * request (all threads), the machine's idle, iowait and nice shares over the run (/proc/stat: nice is
 * serve's dispatcher and checkpointer threads, idle what no process used), and how long the
 * dispatcher then took to map the backlog (drain).
 *
 *   npm run build
 *   git worktree add --detach /tmp/before HEAD~1 && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   (cd /tmp/before && npx tsc -p tsconfig.build.json)
 *   BENCH_VARIANTS='[{"name":"before","cli":"/tmp/before/dist/runtime/cli/main.js"},{"name":"after"}]' npx tsx bench/ingest/compare.ts
 *
 * A variant is {"name", "cli"?: another build's dist/runtime/cli/main.js, "env"?: {...}: extra
 * environment for its serve, "nodeArgs"?: [...]: flags for node, e.g. the bin's shebang's}. BENCH_ROUNDS=3, BENCH_DURATION=8, BENCH_CONNECTIONS=64.
 */
import autocannon from 'autocannon';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, serveEnv, startServe, waitListening, writeConnectionsFile, type ServeProcess } from '../../test/support/serve-process.js';
import { processCpuMs, signedWebhookRequests, waitDrained } from './support.js';

interface Variant { name: string; cli?: string; env?: Record<string, string>; nodeArgs?: string[] }

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const DURATION = Number(process.env['BENCH_DURATION'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);

function readVariants(): Variant[] {
  const text = process.env['BENCH_VARIANTS'];
  const usage = 'set BENCH_VARIANTS to a JSON array of {"name", "cli"?, "env"?}, e.g. \'[{"name":"before","cli":"/tmp/before/dist/runtime/cli/main.js"},{"name":"after"}]\'';
  if (!text) throw new Error(`BENCH_VARIANTS is not set: ${usage}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`BENCH_VARIANTS is not JSON (${(error as Error).message}): ${usage}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((v) => typeof v === 'object' && v !== null && typeof (v as Variant).name === 'string')) {
    throw new Error(`BENCH_VARIANTS must be a non-empty array of objects with a "name": ${usage}`);
  }
  return parsed as Variant[];
}

/** Jiffies spent by all CPUs so far: user, nice, system, idle, iowait, irq, softirq, steal, ... */
const machineJiffies = () => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);

async function run(serve: ServeProcess, duration: number): Promise<string> {
  const machineBefore = machineJiffies();
  const cpuBefore = processCpuMs(serve.child.pid);
  const result = await autocannon({ url: `${serve.url}/webhooks/github/acme`, method: 'POST', connections: CONNECTIONS, duration, requests: signedWebhookRequests() });
  const cpuUsed = processCpuMs(serve.child.pid) - cpuBefore;
  const spent = machineJiffies().map((value, i) => value - machineBefore[i]!);
  const total = spent.reduce((a, b) => a + b, 0);
  const share = (i: number) => `${((100 * spent[i]!) / total).toFixed(1)} %`;
  const requests = result.requests.total;
  return `${String(Math.round(requests / result.duration)).padStart(6)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  serve CPU ${((cpuUsed * 1000) / requests).toFixed(0)} µs/req  machine idle ${share(3)}, iowait ${share(4)}, nice ${share(1)}  non-2xx ${result.non2xx}`;
}

const variants = readVariants();
const dir = mkdtempSync(join(tmpdir(), 'gwi-bench-compare-'));
const running: Array<Variant & { serve: ServeProcess }> = [];
try {
  for (const [i, variant] of variants.entries()) {
    const root = join(dir, String(i));
    mkdirSync(root);
    const serve = startServe({ port: await freePort(), dataDir: join(root, 'data'), connectionsFile: writeConnectionsFile(root), env: serveEnv(variant.env), ...(variant.cli ? { cli: variant.cli } : {}), ...(variant.nodeArgs ? { nodeArgs: variant.nodeArgs } : {}) });
    running.push({ ...variant, serve });
    await waitListening(serve);
  }
  for (const variant of running) {
    await run(variant.serve, 3); // warm-up
    await waitDrained(variant.serve.url);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of round % 2 === 0 ? running : [...running].reverse()) {
      const line = await run(variant.serve, DURATION);
      process.stdout.write(`round ${round + 1}  ${variant.name.padEnd(12)} ${line}  drain ${(await waitDrained(variant.serve.url)).toFixed(1)} s\n`);
    }
  }
} finally {
  for (const variant of running) variant.serve.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
