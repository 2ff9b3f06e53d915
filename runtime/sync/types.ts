import type { TokenStore } from '../auth/types.js';
import type { LoadedManifest } from '../manifest/loaded-manifest.js';
import type { AirbyteMessage, ConfiguredCatalog, StreamState } from '../protocol/messages.js';
import type { ParentCacheLimits } from './parent-cache.js';
import type { HealthProbeResult } from '../health-check/index.js';

/** Minimal structured logger (pino-compatible). Never pass secrets. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface ConnectorOptions {
  manifest: LoadedManifest;
  /** The connection config, already validated against `spec` with defaults applied. */
  config: Readonly<Record<string, unknown>>;
  /** Identifies the connection: keys the rate-limit budget, circuit breaker and stored tokens. */
  connectionId?: string;
  tokenStore?: TokenStore;
  logger?: Logger;
  /** Replaces the rendered `requester.url_base` (cassette replay, simulated APIs, tests). */
  urlBaseOverride?: string;
  /** Injectable clock and sleep, so tests of waits and windows run instantly. */
  now?: () => Date;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /**
   * Within one read, a parent stream's partition values are kept (up to these limits, over all
   * parents) and shared by every stream that uses the parent, instead of reading it again per stream.
   */
  parentCache?: ParentCacheLimits;
  /** Called after each page a stream reads (progress display): the stream and the records the page kept. */
  onPage?: (stream: string, records: number) => void;
}

export interface ConnectorHealth {
  breaker: 'closed' | 'open' | 'half_open';
  rateLimitRemaining?: number;
  requests: number;
  retries: number;
}

/** One connector instance (manifest + one connection's config): the engine's public face. */
export interface Connector {
  spec(): AirbyteMessage;
  check(): Promise<AirbyteMessage>;
  discover(): AirbyteMessage;
  /** RECORD, STATE, LOG and TRACE messages; without a catalog, every stream (incremental where possible). */
  read(catalog?: ConfiguredCatalog, state?: readonly StreamState[]): AsyncIterable<AirbyteMessage>;
  health(): ConnectorHealth;
  /** The manifest's `health_check` probe (undefined when it declares none). */
  probe(): Promise<HealthProbeResult | undefined>;
  close(): Promise<void>;
}

/** Messages of a read in order, with their Airbyte JSON lines (each line ends with `\n`), already redacted. */
export interface MessageBatch {
  readonly messages: readonly AirbyteMessage[];
  readonly lines: string;
}

/**
 * The connector `createConnector` returns: `read()` plus its batched form. `readPages()` yields the
 * same messages as `read()`, a page of RECORDs (or a few STATE/TRACE messages) per batch, serialised
 * once: what the CLI writes to stdout. Batches come one at a time (the next page is read while the
 * consumer handles this one), so back-pressure is the consumer's pace as with `read()`.
 */
export interface BatchingConnector extends Connector {
  readPages(catalog?: ConfiguredCatalog, state?: readonly StreamState[]): AsyncIterable<MessageBatch>;
}
