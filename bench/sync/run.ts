/**
 * bench/sync: the engine's `read` against a hand-written baseline, in the same run, on the same
 * loopback server. Usage: `npm run bench:sync -- [--records N] [--repeat R] [--engine cli|cli-read|api|stub]
 * [--cpu-prof] [--no-build] [--verify N] [--markdown] [--only drain,baseline,engine,engine-node]
 * [--engine-node-args "--max-old-space-size=64"]`.
 *
 * --engine: cli (default) runs `dist/runtime/cli/main.js read` as an executable, the way the installed
 * `gwi-connectors` bin runs (its shebang passes V8 flags to node, see runtime/cli/main.ts); the client
 * `engine-node` runs `node dist/runtime/cli/main.js read` (no flags, unless NODE_OPTIONS has them). api runs the engine's library API
 * (engine-api.ts); cli-read is the CLI with only `read` registered (cli-read-only.ts: the cost of the CLI
 * if main.ts loaded command modules lazily); stub is a per-record-JSONata stand-in (stub-engine.ts) used before the engine existed.
 *
 * Every client is a separate `node` process (stdout → /dev/null) measured for wall time, CPU time and
 * peak RSS; the server is another process, so on 2 cores client and server each get one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { topSelfTime, selfTimeByFile } from '../support/cpuprofile.js';
import { formatInt, formatMb, formatSeconds, markdownTable, table } from '../support/format.js';
import { measureChild, type ChildMeasurement } from '../support/measure.js';
import { transpileForNode } from '../support/transpile.js';
import { ISSUES_PATH, OWNER_REPO, PAGE_SIZE, pageCount } from './issues.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const workDir = join(repoRoot, '.bench/sync');
const manifestFile = 'bench/sync/issues.yaml';
const cliFile = join(repoRoot, 'dist/runtime/cli/main.js');

const TARGET_RATIO = 0.8;
/** A fake token: the engine renders the auth header and scans records for secrets, as with a real API. */
const BENCH_TOKEN = 'ghp_bench0000000000000000000000000000';
const TARGET_RSS_BYTES = 200 * 1024 * 1024;

const { values: options } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '1' },
    engine: { type: 'string', default: 'cli' },
    'cpu-prof': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    verify: { type: 'string', default: '250' },
    markdown: { type: 'boolean', default: false },
    'engine-node-args': { type: 'string', default: '' },
    only: { type: 'string', default: 'drain,baseline,engine,engine-node' },
  },
});
const records = Number(options.records);
const repeat = Number(options.repeat);
const verifyRecords = Number(options.verify);
if (!Number.isInteger(records) || records < 1) throw new Error('--records must be a positive integer');
if (!['cli', 'cli-read', 'api', 'stub'].includes(options.engine ?? '')) throw new Error('--engine must be cli, cli-read, api or stub');

interface ServerStats { requests: number; bytes: number; cpuMs: number; eventLoopUtilization: number }
interface Server { url: string; stats(): Promise<ServerStats>; stop(): void }
interface Run { name: string; measurement: ChildMeasurement; server: ServerStats }

// ---------------------------------------------------------------------------------------------------

mkdirSync(workDir, { recursive: true });
if (options.engine !== 'stub' && !options['no-build']) build();
const scripts = transpileForNode(repoRoot, join(workDir, 'build'), [
  'bench/sync/issues.ts',
  'bench/sync/server.ts',
  'bench/sync/baseline.ts',
  'bench/sync/drain.ts',
  'bench/sync/stub-engine.ts',
  'bench/sync/engine-api.ts',
  'bench/sync/cli-read-only.ts',
]);
const script = (name: string) => scripts.get(`bench/sync/${name}.ts`) as string;

// npm makes a package's bin executable when it links it; tsc writes main.js without the bit.
if (existsSync(cliFile)) chmodSync(cliFile, 0o755);

const clients: Record<string, (url: string, base: string, extraNodeArgs?: string[]) => { command: string; args: string[]; env?: NodeJS.ProcessEnv }> = {
  drain: (url) => ({ command: process.execPath, args: [script('drain'), url] }),
  baseline: (url, _base, extra = []) => ({ command: process.execPath, args: [...extra, script('baseline'), url, BENCH_TOKEN] }),
  engine: (url, base, extra = []) =>
    options.engine === 'stub'
      ? { command: process.execPath, args: [...extra, script('stub-engine'), manifestFile, url] }
      : options.engine === 'api'
        ? { command: process.execPath, args: [...extra, script('engine-api'), repoRoot, manifestFile, writeConfig(base)] }
        : options.engine === 'cli-read'
          ? { command: process.execPath, args: [...extra, script('cli-read-only'), repoRoot, 'read', manifestFile, '--config', writeConfig(base)] }
          : // Executed as a file, so its shebang's V8 flags apply. Extra node flags (--cpu-prof is not
            // allowed in NODE_OPTIONS) mean running `node <shebang flags> <extra> main.js` instead.
            extra.length > 0
            ? { command: process.execPath, args: [...shebangFlags(cliFile), ...extra, cliFile, 'read', manifestFile, '--config', writeConfig(base)] }
            : { command: cliFile, args: ['read', manifestFile, '--config', writeConfig(base)] },
  'engine-node': (_url, base, extra = []) => ({ command: process.execPath, args: [...extra, cliFile, 'read', manifestFile, '--config', writeConfig(base)] }),
};

console.log(`bench/sync: ${formatInt(records)} records (~${formatInt(pageCount(records))} pages of ${PAGE_SIZE}), engine=${options.engine}, ` +
  `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);

if (verifyRecords > 0) await verify(verifyRecords);

const server = await startServer(records);
const runs: Run[] = [];
try {
  for (let i = 0; i < repeat; i++) {
    for (const name of options.only.split(',')) runs.push(await measure(server, name));
  }
  if (options['cpu-prof']) {
    const byFile = new Map<string, Map<string, number>>();
    for (const name of ['baseline', 'engine']) byFile.set(name, await profile(server, name));
    printProfileDelta(byFile.get('baseline'), byFile.get('engine'));
  }
} finally {
  server.stop();
}
report(runs);

// ---------------------------------------------------------------------------------------------------

function build(): void {
  process.stdout.write('building (npm run build)... ');
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status === 0) console.log('ok');
  else if (existsSync(cliFile)) console.log(`failed (exit ${result.status}); using the existing dist/ (it may be stale)\n${(result.stdout + result.stderr).slice(-1500)}`);
  else throw new Error(`npm run build failed and ${cliFile} does not exist:\n${result.stdout}${result.stderr}`);
}

/** The node flags in a `#!/usr/bin/env -S node <flags>` line. */
function shebangFlags(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(first);
  return match?.[1]?.trim().split(/\s+/) ?? [];
}

function writeConfig(base: string): string {
  const file = join(workDir, 'config.json');
  writeFileSync(file, `${JSON.stringify({ base_url: base, repository: OWNER_REPO, token: BENCH_TOKEN }, null, 2)}\n`);
  return file;
}

async function startServer(total: number): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [script('server'), String(total)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server exited early (${code})`)));
    child.stdout?.setEncoding('utf8').once('data', (line: string) => resolvePort((JSON.parse(line) as { port: number }).port));
  });
  child.removeAllListeners('exit');
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    stats: () =>
      new Promise<ServerStats>((resolveStats) => {
        child.once('message', (message) => resolveStats(message as ServerStats));
        child.send('stats');
      }),
    stop: () => child.disconnect(),
  };
}

function firstPage(base: string): string {
  return `${base}${ISSUES_PATH}?state=all&per_page=${PAGE_SIZE}`;
}

async function measure(srv: Server, name: string, stdoutPath = '/dev/null', extraNodeArgs: string[] = []): Promise<Run> {
  if (name.startsWith('engine') && options['engine-node-args']) extraNodeArgs = [...options['engine-node-args'].split(' '), ...extraNodeArgs];
  const client = clients[name]?.(firstPage(srv.url), srv.url, extraNodeArgs);
  if (!client) throw new Error(`unknown client ${name}`);
  await srv.stats(); // reset the server's counters
  const measurement = await measureChild({ ...client, cwd: repoRoot, stdoutPath });
  const stats = await srv.stats();
  if (measurement.exitCode !== 0) {
    console.error(`\n${name} exited with ${measurement.exitCode}:\n${measurement.stderrTail}`);
  } else if (stdoutPath === '/dev/null') {
    console.log(`  ${name.padEnd(8)} ${formatSeconds(measurement.wallMs).padStart(9)}  ${formatInt(rate(measurement)).padStart(9)} rec/s  ` +
      `peak RSS ${formatMb(measurement.peakRssBytes)}  server CPU ${formatInt((100 * stats.cpuMs) / measurement.wallMs)}%`);
  }
  return { name, measurement, server: stats };
}

function rate(m: ChildMeasurement): number {
  return (records / m.wallMs) * 1000;
}

/** Records per CPU second of the client: robust when other jobs share the cores (wall time is not). */
function cpuRate(m: ChildMeasurement): number | undefined {
  return m.cpuMs ? (records / m.cpuMs) * 1000 : undefined;
}

/** Run baseline and engine on a small collection to files and check they emit the same records. */
async function verify(total: number): Promise<void> {
  const small = await startServer(total);
  try {
    const out: Record<string, unknown[]> = {};
    for (const name of ['baseline', 'engine']) {
      const file = join(workDir, `verify-${name}.jsonl`);
      const run = await measure(small, name, file);
      if (run.measurement.exitCode !== 0) throw new Error(`${name} failed on the verification run`);
      out[name] = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"RECORD"'))
        .map((line) => (JSON.parse(line) as { record: { data: unknown } }).record.data);
    }
    const same = isDeepStrictEqual(out.baseline, out.engine);
    console.log(`verify (${total} records): baseline ${out.baseline?.length}, engine ${out.engine?.length} records, ` +
      `${same ? 'identical data' : 'DATA DIFFERS — the comparison is not like for like'}`);
    if (!same) {
      console.log(`  baseline[0]: ${JSON.stringify(out.baseline?.[0])}\n  engine[0]:   ${JSON.stringify(out.engine?.[0])}`);
    }
  } finally {
    small.stop();
  }
}

/** Run one client under `node --cpu-prof`, print where its CPU time went; self ms per file/package. */
async function profile(srv: Server, name: string): Promise<Map<string, number>> {
  const dir = join(workDir, 'prof', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`\nprofiling ${name} (node --cpu-prof → ${dir})`);
  await measure(srv, name, '/dev/null', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    console.log('no profile written');
    return new Map();
  }
  const { totalMs, spots } = topSelfTime(join(dir, file), repoRoot, 25);
  console.log(`\n${name}: top self time (of ${formatSeconds(totalMs)} sampled; builtins such as JSON.parse count in their caller):`);
  console.log(table([['function (file:line)', 'self ms', 'share'], ...spots.map((s) => [s.frame, formatInt(s.selfMs), `${(s.selfShare * 100).toFixed(1)}%`])]));
  console.log(`\n${name}: self time by file/package:`);
  const files = selfTimeByFile(join(dir, file), repoRoot, 1000);
  console.log(table([['file', 'self ms', 'share'], ...files.slice(0, 15).map((s) => [s.file, formatInt(s.selfMs), `${(s.share * 100).toFixed(1)}%`])]));
  return new Map(files.map((f) => [f.file, f.selfMs]));
}

/** Where the engine spends more than the baseline (same records): the files worth optimising. */
function printProfileDelta(baseline: Map<string, number> | undefined, engine: Map<string, number> | undefined): void {
  if (!baseline || !engine) return;
  const keys = new Set([...baseline.keys(), ...engine.keys()]);
  keys.delete('(idle)');
  const rows = [...keys]
    .map((file) => ({ file, baseline: baseline.get(file) ?? 0, engine: engine.get(file) ?? 0 }))
    .sort((a, b) => b.engine - b.baseline - (a.engine - a.baseline))
    .slice(0, 15);
  console.log('\nengine minus baseline, self ms by file/package (sampled time: noisy when the machine is busy):');
  console.log(table([['file', 'baseline', 'engine', 'delta'], ...rows.map((r) => [r.file, formatInt(r.baseline), formatInt(r.engine), formatInt(r.engine - r.baseline)])]));
}

function report(all: Run[]): void {
  const expectedPages = pageCount(records);
  // A run that did not fetch every page (an error reported as a TRACE message, exit code 0) is no result.
  const best = (name: string) =>
    all.filter((r) => r.name === name && r.measurement.exitCode === 0 && r.server.requests === expectedPages).sort((a, b) => a.measurement.wallMs - b.measurement.wallMs)[0];
  const rows: string[][] = [['client', 'wall', 'records/s', 'client CPU', 'records/CPU-s', 'peak RSS', 'server CPU', 'server ELU', 'pages served']];
  for (const name of ['drain', 'baseline', 'engine', 'engine-node']) {
    const run = best(name);
    if (!run && !options.only.split(',').includes(name)) continue;
    if (!run) {
      const failed = all.find((r) => r.name === name);
      rows.push([name, failed ? `failed: exit ${failed.measurement.exitCode}, ${failed.server.requests}/${expectedPages} pages` : 'not run', '', '', '', '', '', '', '']);
      continue;
    }
    const m = run.measurement;
    rows.push([
      name === 'engine' ? `engine (${options.engine})` : name === 'engine-node' ? 'engine (node main.js)' : name,
      formatSeconds(m.wallMs),
      formatInt(rate(m)),
      m.cpuMs === undefined ? '?' : `${formatSeconds(m.cpuMs)} (${formatInt((100 * m.cpuMs) / m.wallMs)}%)`,
      formatInt(cpuRate(m) ?? Number.NaN),
      formatMb(m.peakRssBytes),
      `${formatInt((100 * run.server.cpuMs) / m.wallMs)}%`,
      run.server.eventLoopUtilization.toFixed(2),
      `${formatInt(run.server.requests)}${run.server.requests === expectedPages ? '' : ` (expected ${formatInt(expectedPages)})`}`,
    ]);
  }
  console.log(`\nResults (${repeat > 1 ? `best of ${repeat}` : 'one run'}, ${formatInt(records)} records, stdout → /dev/null, RSS via ${all[0]?.measurement.rssSource}; ` +
    `load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores):\n`);
  console.log(options.markdown ? markdownTable(rows) : table(rows));
  const baseline = best('baseline');
  const engine = best('engine');
  if (!baseline || !engine) {
    process.exitCode = 1;
    return;
  }
  const verdict = (r: number) => `${r.toFixed(3)} (target ≥ ${TARGET_RATIO}: ${r >= TARGET_RATIO ? 'met' : 'MISSED'})`;
  const ratios = (label: string, run: Run) => {
    const wall = rate(run.measurement) / rate(baseline.measurement);
    const engineCpu = cpuRate(run.measurement);
    const baselineCpu = cpuRate(baseline.measurement);
    const cpu = engineCpu && baselineCpu ? engineCpu / baselineCpu : undefined;
    const rssOk = run.measurement.peakRssBytes <= TARGET_RSS_BYTES;
    console.log(`\n${label}/baseline records/s ratio, wall clock: ${verdict(wall)}`);
    if (cpu !== undefined) console.log(`${label}/baseline records per CPU-second ratio: ${verdict(cpu)}`);
    console.log(`${label} peak RSS: ${formatMb(run.measurement.peakRssBytes)} (target ≤ ${formatMb(TARGET_RSS_BYTES)}: ${rssOk ? 'met' : 'MISSED'})`);
    return { wall, cpu };
  };
  const { wall: ratio, cpu: cpuRatio } = ratios(`engine (${options.engine})`, engine);
  const engineNode = best('engine-node');
  if (engineNode) ratios('engine (node main.js)', engineNode);
  writeFileSync(join(workDir, 'result.json'), `${JSON.stringify({ records, engine: options.engine, node: process.version, loadavg: loadavg(), runs: all, ratio, cpuRatio }, null, 2)}\n`);
}
