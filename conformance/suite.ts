import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolveConfig } from '../runtime/config/index.js';
import { isConnectorError } from '../runtime/errors/index.js';
import { createConnector } from '../runtime/sync/index.js';
import { buildConfig } from './builders.js';
import { loadCassettes, loadRecordedConfig } from './cassettes/store.js';
import { createVirtualClock } from './checks/clock.js';
import { incrementalChecks } from './checks/incremental.js';
import { manifestChecks } from './checks/manifest.js';
import { protocolChecks } from './checks/protocol.js';
import { rateLimitChecks } from './checks/rate-limit.js';
import { readChecks } from './checks/read.js';
import type { ReadOutcome } from './checks/run-read.js';
import { resilienceChecks } from './checks/resilience.js';
import { cassetteSource, simulatedSource } from './checks/sources.js';
import { resultFor, type CheckResult, type ConnectorFactory, type DataSource, type SuiteContext } from './checks/types.js';
import { webhookChecks } from './checks/webhooks.js';
import { packageRoot } from '../runtime/manifest/index.js';
import { secretConfigKey, testSecretFor } from './webhook-harness.js';

export interface SuiteOptions {
  /** A manifest path or the name of a bundled manifest. */
  manifest: string;
  /**
   * Cassette directory. Default: `conformance/cassettes/<name>` when it exists (beside the
   * package), else `<manifest dir>/cassettes` for fixtures; without cassettes the simulated API is used.
   */
  cassettes?: string;
  /** Force the simulated API even when cassettes exist. */
  simulate?: boolean;
  /** Config values to use instead of the generated test config. */
  config?: Record<string, unknown>;
  seed?: number | string;
  /** Only these check groups (default: all). */
  groups?: ReadonlyArray<'manifest' | 'protocol' | 'read' | 'incremental' | 'resilience' | 'ratelimit' | 'webhooks'>;
  /** The engine under test (default: the runtime's createConnector). */
  createConnector?: ConnectorFactory;
  /** Called as each check finishes (the CLI prints as it goes). */
  onResult?: (result: CheckResult) => void;
}

export interface SuiteReport {
  manifest: string;
  source: DataSource['kind'] | 'none';
  results: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
}

/** Run every conformance check against a manifest, with cassettes or the simulated API. */
export async function runConformance(options: SuiteOptions): Promise<SuiteReport> {
  const results: CheckResult[] = [];
  let mark = Date.now();
  // A group's time is shared by its checks (JUnit wants a time per test case).
  const emit = (list: CheckResult[]) => {
    const each = list.length > 0 ? (Date.now() - mark) / list.length : 0;
    mark = Date.now();
    for (const result of list) {
      results.push({ ms: Math.round(each), ...result });
      options.onResult?.(result);
    }
  };
  const wants = (group: NonNullable<SuiteOptions['groups']>[number]) => !options.groups || options.groups.includes(group);
  const { results: manifestResults, manifest } = await manifestChecks(options.manifest);
  if (wants('manifest')) emit(manifestResults);
  if (!manifest) {
    emit([resultFor(undefined).skip('engine', 'the manifest does not load: no other check can run')]);
    return summarise(options.manifest, 'none', results);
  }
  const node = manifest.node;
  const seed = options.seed ?? 1;
  const cassetteDir = options.simulate ? undefined : findCassettes(options, manifest.file, node.name);
  // A recording's own (non-secret) config values make replayed request paths match.
  const recorded = cassetteDir ? loadRecordedConfig(cassetteDir) : undefined;
  const rawConfig = buildConfig(node, { overrides: { ...recorded, ...options.config } });
  if (node.webhooks) {
    const key = secretConfigKey(node.webhooks.signature);
    if (key && !options.config?.[key]) rawConfig[key] = testSecretFor(node.webhooks.signature);
  }
  let config: Readonly<Record<string, unknown>>;
  try {
    config = resolveConfig(rawConfig, manifest, { env: {} });
  } catch (error) {
    emit([resultFor(manifest).fail('config', `the suite cannot build a test config from the spec: ${isConnectorError(error) ? error.format() : String(error)}`, 'spec')]);
    return summarise(manifest.file, 'none', results);
  }
  // Stream cassettes replace the simulated API; a directory with only webhook samples adds them to it.
  const set = cassetteDir ? loadCassettes(cassetteDir, node.name) : undefined;
  const source = set && set.cassettes.length > 0 ? cassetteSource(node, set) : simulatedSource(node, seed, rawConfig, set?.webhooks);
  const ctx: SuiteContext = {
    manifest,
    rawConfig,
    config,
    createConnector: options.createConnector ?? createConnector,
    source,
    clock: createVirtualClock(),
    seed,
    streams: Object.keys(node.streams),
  };
  // A check group that throws (a bug in the suite or the engine) is one failure, not the end of the run.
  const guard = async <T>(group: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      emit([resultFor(manifest).fail(`${group}.suite_error`, `the ${group} checks could not run: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)]);
      return undefined;
    }
  };
  if (wants('protocol')) {
    await guard('protocol', async () => {
      const server = await source.start();
      try {
        emit(await protocolChecks(ctx, server.url));
      } finally {
        await server.close();
      }
    });
  }
  let clean: ReadOutcome | undefined;
  if (wants('read') || wants('resilience')) {
    const read = await guard('read', () => readChecks(ctx));
    if (read && wants('read')) emit(read.results);
    clean = read?.clean;
  }
  if (wants('incremental')) await guard('incremental', async () => emit(await incrementalChecks(ctx)));
  if (wants('resilience')) await guard('resilience', async () => emit(await resilienceChecks(ctx, clean)));
  if (wants('ratelimit')) await guard('ratelimit', async () => emit(await rateLimitChecks(ctx)));
  if (wants('webhooks')) await guard('webhooks', async () => emit(await webhookChecks(ctx)));
  return summarise(manifest.file, source.kind, results);
}

function findCassettes(options: SuiteOptions, manifestFile: string, name: string): string | undefined {
  if (options.cassettes) return resolve(options.cassettes);
  const candidates = [join(packageRoot(), 'conformance', 'cassettes', name), join(dirname(resolve(manifestFile)), 'cassettes')];
  return candidates.find((dir) => existsSync(dir));
}

function summarise(manifest: string, source: SuiteReport['source'], results: CheckResult[]): SuiteReport {
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  return { manifest, source, results, passed: count('pass'), failed: count('fail'), skipped: count('skip') };
}
