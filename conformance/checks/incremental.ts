import type { LoadedManifest } from '../../runtime/manifest/loaded-manifest.js';
import type { ManifestNode } from '../../runtime/manifest/schema.js';
import type { StreamState } from '../../runtime/protocol/messages.js';
import { addDuration, parseDuration } from '../../runtime/incremental/index.js';
import { buildCatalog, futureState } from '../builders.js';
import { getPath } from '../simulated/ast.js';
import { compareCursor } from '../simulated/records.js';
import { errorsFor, runRead } from './run-read.js';
import { resultFor, type CheckResult, type SuiteContext } from './types.js';

/** Largest final state accepted for one stream (bytes of JSON): state must stay bounded. */
const MAX_STATE_BYTES = 1_000_000;

/**
 * incremental.*: records carry the cursor; state is checkpointed (per partition) and bounded; a read
 * from the final state yields only records at or after the saved cursor; a state from the future
 * yields none.
 */
export async function incrementalChecks(ctx: SuiteContext): Promise<CheckResult[]> {
  const r = resultFor(ctx.manifest);
  const results: CheckResult[] = [];
  const streams = ctx.streams.filter((s) => ctx.manifest.node.streams[s]?.incremental && ctx.manifest.node.streams[s]?.cursor_field);
  const names = ['cursor_present', 'state', 'from_state', 'future_state'];
  const usable = streams.filter((s) => {
    const why = ctx.source.unavailable.get(s);
    if (why) for (const n of names) results.push(r.skip(`incremental.${n}[${s}]`, why, `streams.${s}.incremental`));
    return !why;
  });
  if (usable.length === 0) return results;
  const catalog = buildCatalog(ctx.manifest.node, { streams: usable, syncMode: 'incremental' });
  const server = await ctx.source.start();
  try {
    const first = await runRead(ctx, server.url, catalog);
    const finals: StreamState[] = usable.map((s) => first.states.get(s)?.at(-1)).filter((x): x is StreamState => x !== undefined);
    server.reset();
    const second = await runRead(ctx, server.url, catalog, finals);
    server.reset();
    const future = await runRead(ctx, server.url, catalog, finals.map(futureState));
    for (const s of usable) {
      const stream = ctx.manifest.node.streams[s]!;
      const field = stream.cursor_field!;
      const records = first.records.get(s) ?? [];
      const errors = errorsFor(first, s);
      if (errors.length > 0) {
        for (const n of names) results.push(r.skip(`incremental.${n}[${s}]`, `the incremental read failed: ${errors[0]!.message}`, `streams.${s}`));
        continue;
      }
      const missing = records.filter((rec) => getPath(rec, field.split('.')) === undefined || getPath(rec, field.split('.')) === null);
      if (records.length === 0) results.push(r.skip(`incremental.cursor_present[${s}]`, 'no records', `streams.${s}.cursor_field`));
      else if (missing.length > 0) {
        results.push(r.fail(`incremental.cursor_present[${s}]`, `cursor field ${field} is missing from ${missing.length} of ${records.length} records (check \`map\` keeps it)`, `streams.${s}.cursor_field`));
      } else results.push(r.pass(`incremental.cursor_present[${s}]`));

      const states = first.states.get(s) ?? [];
      const final = states.at(-1);
      const size = final ? JSON.stringify(final).length : 0;
      const partitions = final ? Object.keys((final.stream.stream_state.partitions ?? {}) as object).length : 0;
      const max = stream.incremental?.max_partitions_in_state ?? 10000;
      if (!final) results.push(r.fail(`incremental.state[${s}]`, 'the read emitted no STATE for the stream', `streams.${s}.incremental`));
      else if (size > MAX_STATE_BYTES || partitions > max) results.push(r.fail(`incremental.state[${s}]`, `final state is ${size} bytes with ${partitions} partitions (bound ${max})`, `streams.${s}.incremental.max_partitions_in_state`));
      else if (stream.partitions && partitions === 0 && records.length > 0) results.push(r.fail(`incremental.state[${s}]`, 'the stream is partitioned but its state keeps no per-partition cursor', `streams.${s}.partitions`));
      else if (stream.partitions && states.length < partitions) results.push(r.fail(`incremental.state[${s}]`, `${partitions} partitions but only ${states.length} STATE message(s): state is not checkpointed per partition`, `streams.${s}.partitions`));
      else {
        const bounded = partitions > 1 ? await boundedState(ctx, s, server.url) : undefined;
        if (bounded) results.push(r.fail(`incremental.state[${s}]`, bounded, `streams.${s}.incremental.max_partitions_in_state`));
        else results.push(r.pass(`incremental.state[${s}]`, `${states.length} STATE message(s), final ${size} bytes${partitions ? `, ${partitions} partition(s); bounded to 1 when max_partitions_in_state is 1` : ''}`));
      }

      const saved = final?.stream.stream_state.cursor;
      const secondErrors = errorsFor(second, s);
      if (!final || saved === undefined) results.push(r.skip(`incremental.from_state[${s}]`, 'no cursor in the final state', `streams.${s}.incremental`));
      else if (secondErrors.length > 0) results.push(r.fail(`incremental.from_state[${s}]`, `reading from the final state failed: ${secondErrors[0]!.message}`, `streams.${s}.incremental`));
      else {
        const lookback = stream.incremental?.lookback;
        const floor = typeof saved === 'string' && lookback && !Number.isNaN(Date.parse(saved)) ? addDuration(new Date(saved), parseDuration(lookback), -1).toISOString() : saved;
        const older = (second.records.get(s) ?? []).filter((rec) => compareCursor(getPath(rec, field.split('.')), floor) < 0);
        results.push(
          older.length > 0
            ? r.fail(`incremental.from_state[${s}]`, `${older.length} record(s) older than the saved cursor ${String(saved)}, e.g. ${String(getPath(older[0], field.split('.')))}`, `streams.${s}.incremental`)
            : r.pass(`incremental.from_state[${s}]`, `${second.records.get(s)?.length ?? 0} of ${records.length} records re-read from cursor ${String(saved)}`),
        );
      }

      const futureErrors = errorsFor(future, s);
      const futureCount = future.records.get(s)?.length ?? 0;
      if (!final) results.push(r.skip(`incremental.future_state[${s}]`, 'no final state to move forward', `streams.${s}.incremental`));
      else if (futureErrors.length > 0) results.push(r.fail(`incremental.future_state[${s}]`, `reading from a future state failed: ${futureErrors[0]!.message}`, `streams.${s}.incremental`));
      else if (futureCount > 0) results.push(r.fail(`incremental.future_state[${s}]`, `a state from the future still yielded ${futureCount} record(s)`, `streams.${s}.incremental`));
      else results.push(r.pass(`incremental.future_state[${s}]`));
    }
    return results;
  } finally {
    await server.close();
  }
}

/**
 * With `max_partitions_in_state: 1`, a read over several partitions must end with at most one
 * partition cursor (the rest folded into the stream-wide cursor). Returns a problem, or undefined.
 */
async function boundedState(ctx: SuiteContext, stream: string, url: string): Promise<string | undefined> {
  const node = structuredClone(ctx.manifest.node) as ManifestNode;
  const target = node.streams[stream]!;
  target.incremental = { ...target.incremental!, max_partitions_in_state: 1 };
  const manifest: LoadedManifest = { ...ctx.manifest, node };
  const outcome = await runRead({ ...ctx, manifest }, url, buildCatalog(node, { streams: [stream], syncMode: 'incremental' }));
  const final = outcome.states.get(stream)?.at(-1)?.stream.stream_state;
  const kept = Object.keys((final?.partitions ?? {}) as object).length;
  if (errorsFor(outcome, stream).length > 0) return `a read with max_partitions_in_state 1 failed: ${errorsFor(outcome, stream)[0]!.message}`;
  return kept > 1 ? `with max_partitions_in_state 1 the final state still keeps ${kept} partition cursors` : undefined;
}
