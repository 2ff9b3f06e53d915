import { buildCatalog } from '../builders.js';
import { createFaultInjector, type FaultOptions } from '../server/faults.js';
import { json, startLocalServer } from '../server/serve.js';
import { diffSets, recordSet } from './keys.js';
import { errorsFor, runRead, type ReadOutcome } from './run-read.js';
import { resultFor, type CheckResult, type SuiteContext } from './types.js';

/** The faults of the resilience run; each request is faulted at most `maxConsecutive` times in a row. */
export function defaultFaults(seed: number | string, attempts: number): FaultOptions {
  return { seed, rateLimited: 0.1, retryAfterSeconds: 2, serverErrors: 0.08, burst: 2, connectionResets: 0.05, slow: 0.05, slowMs: 5, truncated: 0.05, maxConsecutive: Math.min(2, attempts - 1) };
}

/**
 * resilience.*: with faults injected the record set equals the clean run's; a 401 ends with a config
 * error naming the credential; the circuit breaker opens under sustained failure.
 */
export async function resilienceChecks(ctx: SuiteContext, clean: ReadOutcome | undefined): Promise<CheckResult[]> {
  const r = resultFor(ctx.manifest);
  const results: CheckResult[] = [];
  const streams = ctx.streams.filter((s) => !ctx.source.unavailable.has(s));
  const attempts = ctx.manifest.node.requester.retry?.attempts ?? 5;

  if (!clean || streams.length === 0) results.push(r.skip('resilience.faults', 'no clean read to compare with'));
  else if (attempts < 2) results.push(r.skip('resilience.faults', `requester.retry.attempts is ${attempts}: injected faults cannot be retried`, 'requester.retry.attempts'));
  else {
    const injector = createFaultInjector(defaultFaults(ctx.seed, attempts));
    const server = await ctx.source.start(injector.wrap);
    try {
      const faulted = await runRead(ctx, server.url, buildCatalog(ctx.manifest.node, { streams, syncMode: 'full_refresh' }));
      const stats = injector.stats();
      const summary = `${stats.rateLimited} 429s, ${stats.serverErrors} 5xx, ${stats.connectionResets} resets, ${stats.truncated} truncated, ${stats.slow} slow over ${stats.requests} requests`;
      const problems: string[] = [];
      let path = 'requester.retry';
      for (const s of streams) {
        if (errorsFor(clean, s).length > 0) continue;
        const errors = errorsFor(faulted, s);
        if (errors.length > 0) {
          problems.push(`${s}: ${errors[0]!.message}`);
          continue;
        }
        const diff = diffSets(recordSet(clean.records.get(s) ?? []), recordSet(faulted.records.get(s) ?? []));
        if (diff) {
          problems.push(`${s}: ${diff}`);
          path = `streams.${s}`;
        }
      }
      results.push(problems.length > 0 ? r.fail('resilience.faults', `with faults injected (${summary}): ${problems.join('; ')}`, path) : r.pass('resilience.faults', summary));
    } finally {
      await server.close();
    }
  }

  const target = streams[0] ?? ctx.streams[0];
  const auth = ctx.manifest.node.auth;
  if (!target) results.push(r.skip('resilience.auth_401', 'no stream to read'));
  else if (!auth || auth.type === 'none') results.push(r.skip('resilience.auth_401', 'the manifest uses no credentials', 'auth'));
  else results.push(await unauthorized(ctx, target));

  if (!target) results.push(r.skip('resilience.circuit_breaker', 'no stream to read'));
  else results.push(await breaker(ctx, target));
  return results;
}

/** Config keys read by the auth templates: what a 401 message must name. */
function credentialKeys(ctx: SuiteContext): string[] {
  const keys = new Set<string>();
  const text = JSON.stringify(ctx.manifest.node.auth ?? {});
  for (const m of text.matchAll(/config\.(?:`([^`]+)`|([A-Za-z_]\w*))/g)) keys.add((m[1] ?? m[2])!);
  return [...keys];
}

async function unauthorized(ctx: SuiteContext, stream: string): Promise<CheckResult> {
  const r = resultFor(ctx.manifest);
  const server = await startLocalServer(async () => json(401, { message: 'Bad credentials' }));
  try {
    const outcome = await runRead(ctx, server.url, buildCatalog(ctx.manifest.node, { streams: [stream], syncMode: 'full_refresh' }));
    const error = errorsFor(outcome, stream)[0];
    const keys = credentialKeys(ctx);
    if (!error) return r.fail('resilience.auth_401', 'a 401 on every request ended without an error', 'auth');
    if (error.failureType !== 'config_error' && error.code !== 'AUTH_INVALID_CREDENTIALS') {
      return r.fail('resilience.auth_401', `a 401 ended with a ${error.failureType} error, not a config error: ${error.message}`, 'auth');
    }
    if (keys.length > 0 && !keys.some((k) => error.message.includes(k))) {
      return r.fail('resilience.auth_401', `the 401 error does not name the credential (${keys.join(', ')}): ${error.message}`, 'auth');
    }
    return r.pass('resilience.auth_401');
  } finally {
    await server.close();
  }
}

async function breaker(ctx: SuiteContext, stream: string): Promise<CheckResult> {
  const r = resultFor(ctx.manifest);
  const server = await startLocalServer(async () => json(503, { message: 'unavailable (injected)' }));
  const connector = ctx.createConnector({ manifest: ctx.manifest, config: ctx.config, urlBaseOverride: server.url, connectionId: 'conformance-breaker', now: ctx.clock.now, sleep: ctx.clock.sleep });
  try {
    const catalog = buildCatalog(ctx.manifest.node, { streams: [stream], syncMode: 'full_refresh' });
    let last = '';
    // Sustained failure: keep reading until the breaker opens (each read fails after its retries).
    for (let run = 0; run < 6; run++) {
      const outcome = await runRead(ctx, server.url, catalog, undefined, connector);
      const error = errorsFor(outcome, stream)[0];
      last = error?.message ?? 'no error';
      if (!error) return r.fail('resilience.circuit_breaker', 'reads against an API answering 503 did not fail', 'requester.circuit_breaker');
      if (connector.health().breaker === 'open' || error.code === 'CIRCUIT_OPEN' || /circuit/i.test(error.message)) return r.pass('resilience.circuit_breaker');
    }
    return r.fail('resilience.circuit_breaker', `the breaker stayed ${connector.health().breaker} after 6 failing reads (last error: ${last})`, 'requester.circuit_breaker');
  } finally {
    await connector.close().catch(() => undefined);
    await server.close();
  }
}
