/**
 * Micro-benchmark for runtime/records: the bench manifest's 10-field JSONata `map` over the bench's
 * issues, evaluated per record vs once per page (one expression over the array), next to a hand-written
 * pick and a prototype "simple map → JS" fast path. Same records, outputs checked equal.
 *
 * Usage: `npx tsx bench/sync/mapping.ts [--pages 100] [--seconds 3]`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import jsonata from 'jsonata';
import { parse } from 'yaml';
import { formatInt, table } from '../support/format.js';
import { compileSimpleMap } from './simple-map.js';
import { renderPage } from './issues.js';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '100' }, seconds: { type: 'string', default: '2' }, variant: { type: 'string' } } });
const pages = Array.from({ length: Number(values.pages) }, (_, i) => JSON.parse(renderPage(i + 1, 1_000_000).toString()) as Record<string, unknown>[]);
const recordsPerRound = pages.reduce((n, page) => n + page.length, 0);
const seconds = Number(values.seconds);

const manifestFile = join(dirname(fileURLToPath(import.meta.url)), 'issues.yaml');
const mapSource = (parse(readFileSync(manifestFile, 'utf8')) as { streams: { issues: { map: string } } }).streams.issues.map;
// The scope the engine binds for `map` (values are small, as in a real sync).
const bindings = { config: { base_url: 'http://127.0.0.1:1' }, partition: {}, state: {}, headers: { link: '<...>; rel="next"' } };

type PageMapper = (page: Record<string, unknown>[]) => Promise<unknown[]>;

const perRecord = jsonata(mapSource);
// `$.{...}` maps each element of the input array; `[...]` keeps a one-record page an array.
const perPage = jsonata(`[$.(${mapSource})]`);
const simple = compileSimpleMap(mapSource);
if (!simple) throw new Error('the bench map should be simple enough for the fast path');

const variants: Record<string, PageMapper> = {
  'hand-written JS pick': async (page) =>
    page.map((r) => {
      const issue = r as { id: number; number: number; title: string; state: string; user: { login: string }; comments: number; created_at: string; updated_at: string; closed_at: string | null; reactions: { total_count: number } };
      return { id: issue.id, number: issue.number, title: issue.title, state: issue.state, user: issue.user.login, comments: issue.comments, created_at: issue.created_at, updated_at: issue.updated_at, closed_at: issue.closed_at, reactions: issue.reactions.total_count };
    }),
  'JSONata per record (await each)': async (page) => {
    const out: unknown[] = [];
    for (const record of page) out.push(await perRecord.evaluate(record, bindings));
    return out;
  },
  'JSONata per record (Promise.all per page)': (page) => Promise.all(page.map((record) => perRecord.evaluate(record, bindings))),
  'JSONata per page ([$.(map)] over the array)': async (page) => (await perPage.evaluate(page, bindings)) as unknown[],
  'prototype: simple map compiled to JS': async (page) => page.map((record) => simple(record, bindings)),
};

// Every variant must produce the same records, or the comparison means nothing.
const reference = await variants['hand-written JS pick']!(pages[0]!);
for (const [name, run] of Object.entries(variants)) {
  const got = JSON.parse(JSON.stringify(await run(pages[0]!))) as unknown;
  if (!isDeepStrictEqual(got, reference)) throw new Error(`${name} maps differently:\n${JSON.stringify(got).slice(0, 400)}`);
}

// Each variant runs in a fresh process (same tsx loader), several times, and the median is kept:
// sharing one process, variants pollute each other's JIT feedback and heap (JSONata ran 2x slower
// when interleaved with the other variants).
const ROUNDS = 3;
if (values.variant) {
  const run = variants[values.variant];
  if (!run) throw new Error(`unknown variant ${values.variant}`);
  for (const page of pages.slice(0, 20)) await run(page); // warm up
  // Rates are per CPU second of this process: the machine is shared (other jobs run tests), and
  // wall-clock rates would measure the neighbours as much as the code.
  let done = 0;
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const started = cpuMs();
  while (cpuMs() - started < seconds * 1000) {
    for (const page of pages) await run(page);
    done += recordsPerRound;
  }
  process.stdout.write(`${(done / (cpuMs() - started)) * 1000}\n`);
  process.exit(0);
}
const self = fileURLToPath(import.meta.url);
const rates = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(variants)) {
    const args = [...process.execArgv, self, '--variant', name, '--pages', String(values.pages), '--seconds', String(seconds)];
    const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${name}: ${child.stderr}`);
    rates.get(name)?.push(Number(child.stdout.trim()));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rows: string[][] = [['variant', 'records per CPU-s (median)', 'CPU µs/record', 'min–max']];
for (const [name, xs] of rates) {
  rows.push([name, formatInt(median(xs)), (1e6 / median(xs)).toFixed(2), `${formatInt(Math.min(...xs))}–${formatInt(Math.max(...xs))}`]);
}
console.log(`mapping micro-benchmark: 10-field map, ${formatInt(recordsPerRound)} distinct records, each variant ${seconds} CPU-s in its own process, median of ${ROUNDS}, node ${process.version}\n`);
console.log(table(rows));
