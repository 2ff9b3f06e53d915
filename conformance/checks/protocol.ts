import type { AirbyteMessage } from '../../runtime/protocol/messages.js';
import { resultFor, type CheckResult, type SuiteContext } from './types.js';

/** spec / check / discover: exactly one message of the right type; the catalog matches the streams. */
export async function protocolChecks(ctx: SuiteContext, url: string): Promise<CheckResult[]> {
  const r = resultFor(ctx.manifest);
  const results: CheckResult[] = [];
  const connector = ctx.createConnector({ manifest: ctx.manifest, config: ctx.config, urlBaseOverride: url, now: ctx.clock.now, sleep: ctx.clock.sleep, connectionId: 'conformance-protocol' });
  try {
    const spec = connector.spec();
    results.push(one('spec', [spec], 'SPEC', r, 'spec'));
    if (spec.type === 'SPEC' && JSON.stringify(spec.spec.connectionSpecification) !== JSON.stringify(ctx.manifest.node.spec)) {
      results[results.length - 1] = r.fail('spec', 'connectionSpecification differs from the manifest spec', 'spec');
    }
    const check = await connector.check().catch((error: unknown) => error as Error);
    if (check instanceof Error) results.push(r.fail('check', `check threw: ${check.message}`, 'check'));
    else {
      const res = one('check', [check], 'CONNECTION_STATUS', r, 'check');
      if (res.status === 'pass' && check.type === 'CONNECTION_STATUS' && check.connectionStatus.status !== 'SUCCEEDED') {
        results.push(r.fail('check', `check against the ${ctx.source.kind} API failed: ${check.connectionStatus.message ?? ''}`, 'check'));
      } else results.push(res);
    }
    const discover = connector.discover();
    const res = one('discover', [discover], 'CATALOG', r, 'streams');
    if (res.status === 'pass' && discover.type === 'CATALOG') {
      const got = discover.catalog.streams.map((s) => s.name).sort();
      const want = Object.keys(ctx.manifest.node.streams).sort();
      const wrongSchema = discover.catalog.streams.filter((s) => JSON.stringify(s.json_schema) !== JSON.stringify(ctx.manifest.node.streams[s.name]?.schema));
      if (got.join() !== want.join()) results.push(r.fail('discover', `catalog streams [${got.join(', ')}] differ from the manifest's [${want.join(', ')}]`, 'streams'));
      else if (wrongSchema.length > 0) results.push(r.fail('discover', `catalog schema of ${wrongSchema[0]!.name} differs from the manifest`, `streams.${wrongSchema[0]!.name}.schema`));
      else results.push(res);
    } else results.push(res);
  } finally {
    await connector.close().catch(() => undefined);
  }
  return results;
}

function one(name: string, messages: AirbyteMessage[], type: AirbyteMessage['type'], r: ReturnType<typeof resultFor>, path: string): CheckResult {
  const ofType = messages.filter((m) => m?.type === type);
  if (messages.length !== 1 || ofType.length !== 1) return r.fail(name, `expected exactly one ${type} message, got ${messages.map((m) => m?.type).join(', ') || 'none'}`, path);
  return r.pass(name);
}
