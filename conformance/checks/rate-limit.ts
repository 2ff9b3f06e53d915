import type { RateLimitNode } from '../../runtime/http/schema.js';
import { buildCatalog } from '../builders.js';
import { withAnnouncedBudget, SIMULATED_BUDGET, type BudgetLog } from './rate-limit-headers.js';
import { runRead } from './run-read.js';
import { resultFor, type CheckResult, type SuiteContext } from './types.js';

const WINDOW_MS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

/** What a reset header value looks like in each `reset_format`. */
const RESET_SHAPES: Record<NonNullable<RateLimitNode['reset_format']>, (value: string) => boolean> = {
  epoch_seconds: (v) => /^\d{9,11}$/.test(v.trim()),
  epoch_ms: (v) => /^\d{12,14}$/.test(v.trim()),
  seconds: (v) => /^\d{1,7}(\.\d+)?$/.test(v.trim()),
  http_date: (v) => !/^\d+$/.test(v.trim()) && !Number.isNaN(Date.parse(v)),
};

/** The most requests seen in any window of `windowMs` (sliding, over sorted arrival times). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * ratelimit.budget: requests per window, measured at the server, never exceed the declared budget.
 * ratelimit.headers: when the manifest names the API's remaining/reset headers, the API announces a
 * small budget in them and the engine must pause until the reset instead of running into 429s.
 */
export async function rateLimitChecks(ctx: SuiteContext): Promise<CheckResult[]> {
  const r = resultFor(ctx.manifest);
  const limit = ctx.manifest.node.requester.rate_limit;
  if (!limit) return [r.skip('ratelimit.budget', 'the manifest declares no requester.rate_limit'), r.skip('ratelimit.headers', 'the manifest declares no requester.rate_limit')];
  const streams = ctx.streams.filter((s) => !ctx.source.unavailable.has(s));
  if (streams.length === 0) return [r.skip('ratelimit.budget', 'no stream the source can serve'), r.skip('ratelimit.headers', 'no stream the source can serve')];
  const catalog = buildCatalog(ctx.manifest.node, { streams, syncMode: 'full_refresh' });
  const results: CheckResult[] = [];
  const server = await ctx.source.start();
  try {
    await runRead(ctx, server.url, catalog);
    const seen = maxInWindow(server.requestTimes, WINDOW_MS[limit.per]);
    results.push(
      seen > limit.requests
        ? r.fail('ratelimit.budget', `${seen} requests within one ${limit.per}, budget ${limit.requests}`, 'requester.rate_limit')
        : r.pass('ratelimit.budget', `at most ${seen} of ${server.requestTimes.length} requests within one ${limit.per} (budget ${limit.requests})`),
    );
  } finally {
    await server.close();
  }
  if (!limit.remaining_header || !limit.reset_header) {
    results.push(r.skip('ratelimit.headers', 'the manifest names no remaining_header and reset_header', 'requester.rate_limit'));
    return results;
  }
  // The real API's header names are in the recording: a misspelt name would never make the engine pause.
  const recorded = ctx.source.recordedHeaders;
  const unknown = recorded && recorded.size > 0 ? (['remaining_header', 'reset_header'] as const).find((k) => !recorded.has(limit[k]!.toLowerCase())) : undefined;
  if (unknown) {
    results.push(r.fail('ratelimit.headers', `the recorded API never sends the header ${limit[unknown]} (requester.rate_limit.${unknown}); it sends: ${[...recorded!].filter((h) => /rate|limit|reset|remaining/i.test(h)).join(', ') || 'no rate-limit headers'}`, `requester.rate_limit.${unknown}`));
    return results;
  }
  const format = limit.reset_format ?? 'epoch_seconds';
  const odd = ctx.source.recordedValues?.(limit.reset_header.toLowerCase()).find((v) => !RESET_SHAPES[format](v));
  if (odd !== undefined) {
    results.push(r.fail('ratelimit.headers', `the recorded ${limit.reset_header} value "${odd}" is not ${format} (requester.rate_limit.reset_format)`, 'requester.rate_limit.reset_format'));
    return results;
  }
  const log: BudgetLog = { violations: 0, exhausted: 0 };
  const node = ctx.manifest.node;
  const slack = Math.max(node.concurrency ?? 4, ...Object.values(node.streams).map((s) => s.concurrency ?? 0));
  const announced = await ctx.source.start(withAnnouncedBudget(limit, ctx.clock, slack, log));
  try {
    const outcome = await runRead(ctx, announced.url, catalog);
    const errors = outcome.errors;
    if (log.violations > 0) {
      results.push(r.fail('ratelimit.headers', `${log.violations} request(s) arrived after the API announced 0 remaining (${limit.remaining_header}) and before its reset (${limit.reset_header}, ${limit.reset_format ?? 'epoch_seconds'})`, 'requester.rate_limit'));
    } else if (errors.length > 0) {
      results.push(r.fail('ratelimit.headers', `the read failed under an announced budget: ${errors[0]!.message}`, 'requester.rate_limit'));
    } else {
      results.push(r.pass('ratelimit.headers', `paused through ${log.exhausted} exhausted window(s) of ${SIMULATED_BUDGET} requests without a 429`));
    }
  } finally {
    await announced.close();
  }
  return results;
}
