/**
 * Ingest benchmark: autocannon against `gwi-connectors serve` (durable SQLite inbox) with 4 KB
 * signed GitHub `issues` deliveries, each with a unique delivery id, and against a baseline Fastify
 * server that only verifies the signature. Prints req/s and p50/p95/p99 for both and their ratio,
 * then a fixed-rate run (1,000 req/s offered) for the p99 under normal load.
 *
 *   npm run build && npm run bench:ingest     # BENCH_DURATION=10 BENCH_CONNECTIONS=64 BENCH_RATE=1000 BENCH_ROUNDS=3 BENCH_WARMUP=3
 *
 * The full-speed runs come in BENCH_ROUNDS rounds (serve then baseline, then the other way round);
 * the reported ratio is the median of the rounds' ratios.
 *
 * Loopback only; every run is bounded by BENCH_DURATION seconds.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertBuilt,
  freePort,
  startServe,
  waitListening,
  WEBHOOK_SECRET,
  writeConnectionsFile,
} from '../../test/support/serve-process.js';
import { processCpuMs, signedWebhookRequests, waitDrained } from './support.js';

const DURATION = Number(process.env['BENCH_DURATION'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const RATE = Number(process.env['BENCH_RATE'] ?? 1_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 3);
const PAYLOAD_BYTES = 4096;
const TARGETS = { durablePerSecond: 5_000, p99AtRateMs: 25, ratio: 0.5 };

interface Figures {
  requestsPerSecond: number;
  /** CPU time (user + system, all threads) the server process used per 2xx answer, during the run. */
  cpuMsPerRequest: number;
  /** serve only: the same including the dispatcher's catch-up after the run, and how long that took. */
  cpuMsWithDispatch?: number;
  drainSeconds?: number;
  p50: number;
  p95: number;
  p99: number;
  ok: number;
  errors: number;
}

/** One autocannon run; latencies are collected per response so p95 is exact (autocannon reports p90/p97.5). */
async function load(url: string, options: { rate?: number; connections: number; pid?: number | undefined; drain?: boolean; duration?: number }): Promise<Figures> {
  const duration = options.duration ?? DURATION;
  const cpuBefore = processCpuMs(options.pid);
  const latencies: number[] = [];
  // Without a callback autocannon returns its instance (an EventEmitter) made thenable; the types only say Promise.
  const instance = autocannon({
    url: `${url}/webhooks/github/acme`,
    method: 'POST',
    connections: options.connections,
    duration,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: signedWebhookRequests(PAYLOAD_BYTES),
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const cpuUsed = processCpuMs(options.pid) - cpuBefore;
  const drainSeconds = options.drain ? await waitDrained(url) : undefined;
  const cpuWithDispatch = processCpuMs(options.pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const ok = latencies.length;
  return {
    requestsPerSecond: ok / (result.duration || duration),
    cpuMsPerRequest: cpuUsed / ok,
    ...(drainSeconds !== undefined ? { drainSeconds, cpuMsWithDispatch: cpuWithDispatch / latencies.length } : {}),
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    ok,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

function startBaseline(port: number): ChildProcess {
  const file = fileURLToPath(new URL('./baseline-server.ts', import.meta.url));
  return spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, BASELINE_PORT: String(port), BASELINE_SECRET: WEBHOOK_SECRET },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitHealth(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 1) : '-');
const row = (name: string, f: Figures) =>
  `${name.padEnd(26)} ${fmt(f.requestsPerSecond).padStart(8)} ${fmt(f.p50).padStart(7)} ${fmt(f.p95).padStart(7)} ${fmt(f.p99).padStart(7)} ${String(f.ok).padStart(8)} ${String(f.errors).padStart(6)} ${f.cpuMsPerRequest.toFixed(3).padStart(10)} ${f.cpuMsWithDispatch === undefined ? '' : `${f.cpuMsWithDispatch.toFixed(3).padStart(10)} ${f.drainSeconds!.toFixed(1).padStart(8)}`}`;

async function main(): Promise<void> {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'gwi-bench-ingest-'));
  const children: ChildProcess[] = [];
  try {
    const servePort = await freePort();
    const serve = startServe({ port: servePort, dataDir: join(dir, 'data'), connectionsFile: writeConnectionsFile(dir) });
    children.push(serve.child);
    await waitListening(serve);
    const basePort = await freePort();
    const baseline = startBaseline(basePort);
    children.push(baseline);
    const baseUrl = `http://127.0.0.1:${basePort}`;
    await waitHealth(baseUrl);

    process.stdout.write(`ingest bench: ${cpus().length} CPUs, node ${process.version}, ${PAYLOAD_BYTES}-byte signed GitHub payloads, ${DURATION}s per run, ${CONNECTIONS} connections, load average ${loadavg()[0]!.toFixed(1)} (figures are only meaningful on an idle machine)\n`);
    // Warm-up, not reported: a few seconds at full speed for each server, so that the first round
    // measures neither's JIT, heap growth or (serve) SQLite page cache still settling.
    await load(serve.url, { connections: CONNECTIONS, duration: WARMUP, drain: true }).catch(() => undefined);
    await load(baseUrl, { connections: CONNECTIONS, duration: WARMUP }).catch(() => undefined);

    // Rounds of one run each, the order swapped every round: this machine's speed drifts by tens of
    // percent within a minute, and one pair of runs measured the drift as much as the servers.
    const rounds: Array<{ durable: Figures; base: Figures; ratio: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runServe = () => load(serve.url, { connections: CONNECTIONS, pid: serve.child.pid, drain: true });
      const runBase = () => load(baseUrl, { connections: CONNECTIONS, pid: baseline.pid });
      const [durable, base] = round % 2 === 0 ? [await runServe(), await runBase()] : await runBase().then(async (b) => [await runServe(), b] as const);
      rounds.push({ durable, base, ratio: durable.requestsPerSecond / base.requestsPerSecond });
    }
    const median = <T>(items: T[], by: (item: T) => number): T => [...items].sort((a, b) => by(a) - by(b))[Math.floor(items.length / 2)]!;
    const { durable } = median(rounds, (r) => r.durable.requestsPerSecond);
    const ratio = median(rounds, (r) => r.ratio).ratio;
    const durableAtRate = await load(serve.url, { connections: 32, rate: RATE, pid: serve.child.pid, drain: true });
    const baseAtRate = await load(baseUrl, { connections: 32, rate: RATE, pid: baseline.pid });

    process.stdout.write(`\n${'run'.padEnd(26)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'2xx'.padStart(8)} ${'errors'.padStart(6)} ${'CPU ms/req'.padStart(10)} ${'+dispatch'.padStart(10)} ${'drain s'.padStart(8)}\n`);
    rounds.forEach((r, i) => process.stdout.write(`${row(`serve (durable), max #${i + 1}`, r.durable)}\n${row(`baseline (verify), max #${i + 1}`, r.base)}\n`));
    process.stdout.write(`${row(`serve (durable), ${RATE}/s`, durableAtRate)}\n${row(`baseline (verify), ${RATE}/s`, baseAtRate)}\n`);
    process.stdout.write(`\nratio durable/baseline by round: ${rounds.map((r) => r.ratio.toFixed(3)).join(', ')}; median ${ratio.toFixed(3)}; median serve ${fmt(durable.requestsPerSecond)} req/s; load average now ${loadavg()[0]!.toFixed(1)}\n`);
    const checks = [
      [`median durable deliveries/s >= ${TARGETS.durablePerSecond}`, durable.requestsPerSecond >= TARGETS.durablePerSecond],
      [`p99 at ${RATE} req/s <= ${TARGETS.p99AtRateMs} ms`, durableAtRate.p99 <= TARGETS.p99AtRateMs],
      [`median ratio >= ${TARGETS.ratio}`, ratio >= TARGETS.ratio],
      ['no errors in durable runs', rounds.every((r) => r.durable.errors === 0) && durableAtRate.errors === 0],
    ] as const;
    for (const [name, met] of checks) process.stdout.write(`${met ? 'MET   ' : 'MISSED'} ${name}\n`);
    process.stdout.write(`(targets are for 2 cores; this machine has ${cpus().length})\n`);
  } finally {
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
