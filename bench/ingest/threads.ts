/**
 * CPU per request of each thread of `serve` (from /proc, no profiler attached) and of the load
 * generator, for one full-speed run: where the machine's two cores go.
 *
 *   npm run build && tsx bench/ingest/threads.ts      # BENCH_DURATION=8 BENCH_CONNECTIONS=64
 *
 * Thread names are all "node": the HTTP event loop is the process id, the other busy ones are, by
 * their share, the inbox writer, the dispatcher and the checkpointer; V8's GC helpers take a few µs each.
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServe, waitListening, writeConnectionsFile } from '../../test/support/serve-process.js';
import { signedWebhookRequests, threadCpuMs } from './support.js';

const DURATION = Number(process.env['BENCH_DURATION'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);

const dir = mkdtempSync(join(tmpdir(), 'gwi-bench-threads-'));
const serve = startServe({ port: await freePort(), dataDir: join(dir, 'data'), connectionsFile: writeConnectionsFile(dir) });
try {
  await waitListening(serve);
  const run = (connections: number, duration: number) =>
    autocannon({ url: `${serve.url}/webhooks/github/acme`, method: 'POST', connections, duration, requests: signedWebhookRequests() });
  await run(CONNECTIONS, 3); // warm-up
  await new Promise((resolve) => setTimeout(resolve, 5_000)); // the dispatcher catches up
  const before = threadCpuMs(serve.child.pid!);
  const ownBefore = process.cpuUsage();
  const result = await run(CONNECTIONS, DURATION);
  const own = process.cpuUsage(ownBefore);
  const after = threadCpuMs(serve.child.pid!);
  const requests = result.requests.total;
  process.stdout.write(`${(requests / result.duration).toFixed(0)} req/s, ${requests} requests, ${result.non2xx} non-2xx\n`);
  let total = 0;
  for (const [thread, ms] of after) {
    const used = ms - (before.get(thread) ?? 0);
    total += used;
    if (used > 0) process.stdout.write(`  serve thread ${thread.padEnd(24)} ${((used * 1000) / requests).toFixed(1).padStart(6)} µs/request\n`);
  }
  process.stdout.write(`  serve, all threads ${((total * 1000) / requests).toFixed(1)} µs/request; autocannon ${((own.user + own.system) / requests).toFixed(1)} µs/request\n`);
} finally {
  serve.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
