import { buildCatalog } from '../builders.js';
import { runRead } from './run-read.js';
import { resultFor, type CheckResult, type SuiteContext } from './types.js';

const WINDOW_MS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

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

/** ratelimit.budget: requests per window, measured at the server, never exceed the declared budget. */
export async function rateLimitChecks(ctx: SuiteContext): Promise<CheckResult[]> {
  const r = resultFor(ctx.manifest);
  const limit = ctx.manifest.node.requester.rate_limit;
  if (!limit) return [r.skip('ratelimit.budget', 'the manifest declares no requester.rate_limit')];
  const streams = ctx.streams.filter((s) => !ctx.source.unavailable.has(s));
  if (streams.length === 0) return [r.skip('ratelimit.budget', 'no stream the source can serve')];
  const server = await ctx.source.start();
  try {
    await runRead(ctx, server.url, buildCatalog(ctx.manifest.node, { streams, syncMode: 'full_refresh' }));
    const seen = maxInWindow(server.requestTimes, WINDOW_MS[limit.per]);
    return seen > limit.requests
      ? [r.fail('ratelimit.budget', `${seen} requests within one ${limit.per}, budget ${limit.requests}`, 'requester.rate_limit')]
      : [r.pass('ratelimit.budget', `at most ${seen} of ${server.requestTimes.length} requests within one ${limit.per} (budget ${limit.requests})`)];
  } finally {
    await server.close();
  }
}
