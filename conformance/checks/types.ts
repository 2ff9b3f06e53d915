import type { LoadedManifest } from '../../runtime/manifest/loaded-manifest.js';
import type { Connector, ConnectorOptions } from '../../runtime/sync/types.js';
import type { Handler, LocalServer } from '../server/serve.js';
import type { VirtualClock } from './clock.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** e.g. "read.schema[issues]". */
  name: string;
  status: CheckStatus;
  /** Why it failed or was skipped. */
  reason?: string;
  /** The manifest path it concerns, e.g. "streams.issues.pagination". */
  path?: string;
  /** file:line:col of that path, when known. */
  where?: string;
  /** How long it took (ms), for JUnit. */
  ms?: number;
}

export type ConnectorFactory = (options: ConnectorOptions) => Connector;

/** A running API the engine is pointed at (cassette replay or simulated). */
export interface RunningSource extends LocalServer {
  /** After a read: a problem ("page never requested", "stopped early"...) or a summary of the pages served. */
  pagination(stream: string, recordsRead: number): { problem?: string; summary: string };
  /** Requests received, with their arrival time (ms, real clock). */
  readonly requestTimes: readonly number[];
  reset(): void;
}

/** Where the checks' data comes from. */
export interface DataSource {
  readonly kind: 'cassettes' | 'simulated';
  /** Streams this source cannot serve, with the reason. */
  readonly unavailable: ReadonlyMap<string, string>;
  start(wrap?: (handler: Handler) => Handler): Promise<RunningSource>;
  /** Response header names (lower-case) the recorded API sent; cassettes only. */
  readonly recordedHeaders?: ReadonlySet<string>;
  /** Recorded values of one response header (lower-case name); cassettes only. */
  recordedValues?(header: string): string[];
  /** Webhook samples to check. */
  readonly webhookSamples: ReadonlyArray<{ event: string; headers: Record<string, string>; body: unknown }>;
}

export interface SuiteContext {
  manifest: LoadedManifest;
  /** The raw test config (before resolveConfig). */
  rawConfig: Record<string, unknown>;
  config: Readonly<Record<string, unknown>>;
  createConnector: ConnectorFactory;
  source: DataSource;
  clock: VirtualClock;
  seed: number | string;
  /** Streams checked (default: every stream the source can serve). */
  streams: string[];
}

/** Build results with the manifest location filled in. */
export function resultFor(manifest: LoadedManifest | undefined) {
  const at = (path?: string) => {
    if (!path || !manifest) return {};
    try {
      const location = manifest.locate(path.split('.'));
      return { path, ...(location.line ? { where: `${location.file ?? manifest.file}:${location.line}:${location.column ?? 1}` } : {}) };
    } catch {
      return { path };
    }
  };
  return {
    /** `detail` says what was measured, e.g. "24 records, 6 pages". */
    pass: (name: string, detail?: string): CheckResult => ({ name, status: 'pass', ...(detail ? { reason: detail } : {}) }),
    fail: (name: string, reason: string, path?: string): CheckResult => ({ name, status: 'fail', reason, ...at(path) }),
    skip: (name: string, reason: string, path?: string): CheckResult => ({ name, status: 'skip', reason, ...at(path) }),
  };
}
