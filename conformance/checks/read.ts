import { buildCatalog } from '../builders.js';
import { diffSets, keyFields, keyText, recordSet } from './keys.js';
import { recordValidator } from './record-validator.js';
import { errorsFor, runRead, type ReadOutcome } from './run-read.js';
import { resultFor, type CheckResult, type SuiteContext } from './types.js';

const PATH_BY_CODE: Record<string, string> = {
  PAGINATION_LOOP: 'pagination',
  PAGINATION_MAX_PAGES: 'pagination',
  MAPPING_FAILED: 'map',
  RECORD_PRIMARY_KEY: 'primary_key',
  HTTP_BODY: 'records',
  EXPRESSION_EVALUATION: 'request',
};

/** The manifest path an engine error concerns. */
export function pathForError(stream: string, code: string | undefined, message: string): string {
  const byCode = code ? PATH_BY_CODE[code] : undefined;
  if (byCode) return `streams.${stream}.${byCode}`;
  if (/loop|same (next-page )?token/i.test(message)) return `streams.${stream}.pagination`;
  return `streams.${stream}`;
}

/**
 * read.*: a full read completes; records conform to the schema; primary keys are non-null and
 * unique; every page was followed and paging stopped; a second full read gives the same records.
 * Returns the first read, which later checks compare against.
 */
export async function readChecks(ctx: SuiteContext): Promise<{ results: CheckResult[]; clean?: ReadOutcome }> {
  const r = resultFor(ctx.manifest);
  const results: CheckResult[] = [];
  const streams = ctx.streams.filter((s) => !ctx.source.unavailable.has(s));
  for (const s of ctx.streams.filter((s) => ctx.source.unavailable.has(s))) {
    for (const check of ['completes', 'schema', 'primary_key', 'pagination', 'idempotent']) {
      results.push(r.skip(`read.${check}[${s}]`, ctx.source.unavailable.get(s)!, `streams.${s}`));
    }
  }
  if (streams.length === 0) return { results };
  const catalog = buildCatalog(ctx.manifest.node, { streams, syncMode: 'full_refresh' });
  const server = await ctx.source.start();
  try {
    const first = await runRead(ctx, server.url, catalog);
    const paging = new Map(streams.map((s) => [s, server.pagination(s, first.records.get(s)?.length ?? 0)]));
    server.reset();
    const second = await runRead(ctx, server.url, catalog);
    for (const s of streams) {
      const stream = ctx.manifest.node.streams[s]!;
      const records = first.records.get(s) ?? [];
      const errors = errorsFor(first, s);
      const failed = errors.length > 0 || first.aborted;
      if (first.aborted) results.push(r.fail(`read.completes[${s}]`, `more than ${records.length} records: pagination never stops`, `streams.${s}.pagination`));
      else if (errors.length > 0) results.push(r.fail(`read.completes[${s}]`, errors[0]!.message, pathForError(s, errors[0]!.code, errors[0]!.message)));
      else results.push(r.pass(`read.completes[${s}]`, `${records.length} records`));

      if (records.length === 0) results.push(r.skip(`read.schema[${s}]`, failed ? 'the read failed' : 'the source served no records', `streams.${s}.schema`));
      else {
        const problem = recordValidator(stream.schema)(records);
        results.push(problem ? r.fail(`read.schema[${s}]`, problem, stream.map ? `streams.${s}.map` : `streams.${s}.schema`) : r.pass(`read.schema[${s}]`));
      }

      const keyError = errors.find((e) => e.code === 'RECORD_PRIMARY_KEY');
      if (keyError) results.push(r.fail(`read.primary_key[${s}]`, keyError.message, `streams.${s}.primary_key`));
      else if (records.length === 0) results.push(r.skip(`read.primary_key[${s}]`, failed ? 'the read failed' : 'no records', `streams.${s}.primary_key`));
      else {
        const keys = records.map((rec) => keyText(stream, rec));
        const missing = keys.findIndex((k) => k === undefined);
        const seen = new Set<string>();
        const dupe = keys.find((k) => k !== undefined && (seen.has(k) ? true : (seen.add(k), false)));
        if (missing >= 0) results.push(r.fail(`read.primary_key[${s}]`, `record ${missing + 1} has no value for primary key ${keyFields(stream).join(', ')}`, `streams.${s}.primary_key`));
        else if (dupe) results.push(r.fail(`read.primary_key[${s}]`, `primary key ${dupe} appears more than once in one full read`, `streams.${s}.primary_key`));
        else results.push(r.pass(`read.primary_key[${s}]`));
      }

      const pageProblem = paging.get(s)?.problem;
      if (failed) results.push(r.skip(`read.pagination[${s}]`, 'the read failed', `streams.${s}.pagination`));
      else if (pageProblem) results.push(r.fail(`read.pagination[${s}]`, pageProblem, `streams.${s}.pagination`));
      else results.push(r.pass(`read.pagination[${s}]`, paging.get(s)?.summary));

      if (failed) results.push(r.skip(`read.idempotent[${s}]`, 'the read failed', `streams.${s}`));
      else {
        const diff = diffSets(recordSet(records), recordSet(second.records.get(s) ?? []));
        results.push(diff ? r.fail(`read.idempotent[${s}]`, `two full reads differ: ${diff}`, `streams.${s}`) : r.pass(`read.idempotent[${s}]`));
      }
    }
    return { results, clean: first };
  } finally {
    await server.close();
  }
}
