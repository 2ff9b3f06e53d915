import { createAuthenticator, type Authenticator } from '../auth/index.js';
import { probeHealth } from '../health-check/index.js';
import { compileTemplate, type Scope } from '../expressions/index.js';
import { ConnectorError } from '../errors/index.js';
import { buildRequest, createRequester, type Requester } from '../http/index.js';
import type { StreamNode } from '../manifest/schema.js';
import type { AirbyteMessage, ConfiguredCatalog, StreamState, SyncMode } from '../protocol/messages.js';
import { listStreamPartitions } from '../partitions/index.js';
import { createRecordPipeline, type RecordPipeline } from '../records/index.js';
import { airbyteStream, planStreams, supportsIncremental } from './catalog.js';
import { errorMessage, errorTrace } from './messages.js';
import { readPartition } from './partition-reader.js';
import { createReadParentCache, resolveParentCacheLimits, type ReadParentCache } from './parent-cache.js';
import { parentMode } from './parent-progress.js';
import { secretValues } from '../config/index.js';
import { createRedactor, redactDeep, type Redactor as Redact } from '../secrets/index.js';
import { readStreamBatches, streamRecords, type StreamReadContext } from './stream-reader.js';
import type { BatchingConnector, ConnectorOptions, Logger, MessageBatch } from './types.js';

/**
 * The engine's public face: one manifest + one connection's config. Requests go through one
 * requester (auth, rate limit, breaker, retries); every stream has one record pipeline, built once.
 */
export function createConnector(options: ConnectorOptions): BatchingConnector {
  const { manifest: loaded, config } = options;
  const manifest = loaded.node;
  const now = options.now ?? (() => new Date());
  const secrets = secretValues(manifest.spec, config);
  const redact: Redact = createRedactor(secrets);
  // Records are scanned for secrets as JSON text, where a secret appears in its escaped form.
  const recordNeedles = secrets.filter((secret) => typeof secret === 'string' && secret.length >= 4).map((secret) => JSON.stringify(secret).slice(1, -1));
  const logger = options.logger ? redactingLogger(options.logger, redact) : undefined;
  const baseScope: Scope = { config };
  const pipelines = new Map<string, RecordPipeline>();
  let requester: Requester | undefined;
  let authenticator: Authenticator | undefined;

  const pipelineOf = (name: string, stream: StreamNode) => {
    let pipeline = pipelines.get(name);
    if (!pipeline) pipelines.set(name, (pipeline = createRecordPipeline(stream, name)));
    return pipeline;
  };

  // One requester (and one authenticator, one token cache) per connector, even when a probe and a read
  // ask for it at the same time: the first caller's promise is shared.
  let requesterReady: Promise<Requester> | undefined;
  const ensureRequester = (): Promise<Requester> => (requesterReady ??= openRequester());
  const openRequester = async (): Promise<Requester> => {
    const connectionId = options.connectionId ?? 'default';
    const urlBase = options.urlBaseOverride ?? String(await compileTemplate(manifest.requester.url_base).render(baseScope));
    const auth = (authenticator = createAuthenticator(manifest.auth, {
      scope: baseScope,
      tokenKey: `${manifest.name}/${connectionId}`,
      urlBase,
      ...(options.tokenStore ? { tokenStore: options.tokenStore } : {}),
      ...(options.now ? { now: options.now } : {}),
    }));
    requester = createRequester({
      requester: manifest.requester,
      auth,
      connectorName: manifest.name,
      connectionId,
      scope: baseScope,
      ...(logger ? { logger } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return requester;
  };

  const parentCacheLimits = resolveParentCacheLimits(options.parentCache);

  const contextFor = async (name: string, mode: SyncMode, states: ReadonlyMap<string, Record<string, unknown>>, parentCache?: ReadParentCache): Promise<StreamReadContext> => {
    const stream = manifest.streams[name];
    if (!stream) throw new ConnectorError('MANIFEST_REFERENCE', `stream "${name}" is not defined in manifest "${manifest.name}"`, { hint: 'Use a name defined under `streams`.' });
    return {
      manifest,
      streamName: name,
      stream,
      pipeline: pipelineOf(name, stream),
      requester: await ensureRequester(),
      baseScope,
      now,
      mode,
      inputState: states.get(name),
      concurrency: stream.concurrency ?? manifest.concurrency ?? 4,
      location: safeLocate(['streams', name, 'pagination']),
      ...(stream.incremental?.lookback === undefined ? {} : { lookbackLocation: safeLocate(['streams', name, 'incremental', 'lookback']) }),
      // A parent read for a child starts from the state the child hands over (its saved
      // `parent_state`), never from the parent stream's own state: see parent-progress.ts.
      readParent: (parent, { incremental, state, onComplete }) => ({
        async *[Symbol.asyncIterator]() {
          const parentContext = await contextFor(parent, parentMode(manifest, parent, incremental), states, parentCache);
          yield* streamRecords({ ...parentContext, inputState: state }, onComplete);
        },
      }),
      ...(parentCache ? { parentCache } : {}),
      ...(options.urlBaseOverride ? { urlBaseOverride: options.urlBaseOverride } : {}),
      ...(options.onPage ? { onPage: options.onPage } : {}),
    };
  };

  function safeLocate(path: string[]) {
    try {
      return loaded.locate(path);
    } catch {
      return undefined;
    }
  }

  const clean = <M extends AirbyteMessage>(message: M): M => (message.type === 'RECORD' || message.type === 'STATE' ? message : redactDeep(message, redact));

  /**
   * A batch of messages and their JSON lines. Records are checked for secrets once per batch, on
   * the serialised text (a substring test per secret), and only the records whose own line holds
   * one are redacted (an API that echoes the token). Other messages (LOG, TRACE) are always redacted.
   */
  const batchOf = (messages: AirbyteMessage[]): MessageBatch => {
    let text = '';
    for (let i = 0; i < messages.length; i++) {
      const message = clean(messages[i]!);
      messages[i] = message;
      text += lineOf(message);
    }
    if (recordNeedles.length > 0 && recordNeedles.some((needle) => text.includes(needle))) {
      text = '';
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i]!;
        let line = lineOf(message);
        if (message.type === 'RECORD' && recordNeedles.some((needle) => line.includes(needle))) {
          messages[i] = { ...message, record: { ...message.record, data: redactDeep(message.record.data, redact) } };
          line = lineOf(messages[i]!);
        }
        text += line;
      }
    }
    return { messages, lines: text };
  };

  const readPages = (catalog?: ConfiguredCatalog, state?: readonly StreamState[]): AsyncIterable<MessageBatch> => ({
    async *[Symbol.asyncIterator]() {
      let planned;
      let states: Map<string, Record<string, unknown>>;
      try {
        planned = planStreams(manifest, catalog);
        states = statesByStream(state);
      } catch (error) {
        yield batchOf([errorTrace(error, now().getTime())]);
        return;
      }
      // Parent values read once and shared by the streams of this read (bounded; see parent-cache.ts).
      const parentCache = createReadParentCache(manifest, planned, parentCacheLimits, states);
      for (const [index, { name, mode }] of planned.entries()) {
        try {
          parentCache.enter(index);
          const context = await contextFor(name, mode, states, parentCache);
          for await (const messages of readStreamBatches({ ...context, parentTaps: parentCache.taps(name, mode) })) yield batchOf(messages);
        } catch (error) {
          yield batchOf([errorTrace(error, now().getTime(), name)]);
        }
        if (options.signal?.aborted) return;
      }
    },
  });

  return {
    spec: () => ({
      type: 'SPEC',
      spec: {
        connectionSpecification: (manifest.spec as Record<string, unknown> | undefined) ?? { type: 'object' },
        ...(manifest.documentation_url ? { documentationUrl: manifest.documentation_url } : {}),
        supportsIncremental: Object.values(manifest.streams).some(supportsIncremental),
      },
    }),

    discover: () => ({ type: 'CATALOG', catalog: { streams: Object.entries(manifest.streams).map(([name, stream]) => airbyteStream(name, stream)) } }),

    async check() {
      try {
        const send = await ensureRequester();
        const check = manifest.check;
        if (check?.path !== undefined) {
          const request = await buildRequest(manifest.requester, { method: 'GET', path: check.path }, { ...baseScope, now: now().toISOString() }, options.urlBaseOverride);
          await send.send({ ...request, label: 'check' });
        } else {
          const name = check?.stream ?? Object.keys(manifest.streams)[0];
          if (name === undefined) throw new ConnectorError('MANIFEST_REFERENCE', 'the manifest has no stream to check with', { hint: 'Add `check.path`.' });
          const context = await contextFor(name, 'full_refresh', new Map());
          const partitions = listStreamPartitions(context.stream.partitions, { scope: baseScope, readParent: context.readParent })[Symbol.asyncIterator]();
          const first = await partitions.next();
          await partitions.return?.();
          if (!first.done) {
            const pages = readPartition({ ...context, incremental: false }, first.value, undefined, undefined);
            await pages.next(); // the first page proves the credentials; stop there
            await pages.return(undefined);
          }
        }
        return { type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } };
      } catch (error) {
        const lead = manifest.check?.message === undefined ? '' : `${String(await compileTemplate(manifest.check.message).render(baseScope).catch(() => manifest.check?.message))}: `;
        return clean({ type: 'CONNECTION_STATUS', connectionStatus: { status: 'FAILED', message: `${lead}${errorMessage(error)}` } });
      }
    },

    readPages,

    // The public, one-message-at-a-time view of readPages.
    read(catalog?: ConfiguredCatalog, state?: readonly StreamState[]): AsyncIterable<AirbyteMessage> {
      return {
        async *[Symbol.asyncIterator]() {
          for await (const batch of readPages(catalog, state)) yield* batch.messages;
        },
      };
    },

    async probe() {
      if (!manifest.health_check) return undefined;
      await ensureRequester();
      return probeHealth(manifest.health_check, {
        requester: manifest.requester,
        auth: authenticator!,
        scope: baseScope,
        ...(options.urlBaseOverride ? { urlBaseOverride: options.urlBaseOverride } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
    },
    health() {
      const stats = requester?.stats();
      return {
        breaker: requester?.breakerState() ?? 'closed',
        requests: stats?.requests ?? 0,
        retries: stats?.retries ?? 0,
        ...(stats?.rateLimitRemaining === undefined ? {} : { rateLimitRemaining: stats.rateLimitRemaining }),
      };
    },

    async close() {
      await requester?.close();
    },
  };
}

/**
 * One JSON line. A RECORD with exactly `stream`, `data`, `emitted_at` (what the stream reader
 * builds) is written around `JSON.stringify(data)`, which gives the same text as stringifying the
 * whole message in ~30% less time (measured: 0.8 vs 1.2 µs for a 10-field record).
 */
function lineOf(message: AirbyteMessage): string {
  if (message.type === 'RECORD') {
    const record = message.record;
    if (Object.keys(record).length === 3 && Number.isFinite(record.emitted_at) && Object.keys(message).length === 2) {
      return `{"type":"RECORD","record":{"stream":${JSON.stringify(record.stream)},"data":${JSON.stringify(record.data)},"emitted_at":${record.emitted_at}}}\n`;
    }
  }
  return `${JSON.stringify(message)}\n`;
}

/** Input state: STATE messages' `state` objects (per stream), keyed by stream name. */
function statesByStream(state: readonly StreamState[] | undefined): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const entry of state ?? []) {
    const name = entry?.stream?.stream_descriptor?.name;
    const value = entry?.stream?.stream_state;
    if (entry?.type !== 'STREAM' || typeof name !== 'string' || !value || typeof value !== 'object') {
      throw new ConnectorError('STATE_INVALID', `a state entry is not a per-stream state: ${JSON.stringify(entry).slice(0, 200)}`, {
        hint: 'Pass the last STATE messages emitted by `read` (their `state` objects), or none.',
      });
    }
    out.set(name, value);
  }
  return out;
}

function redactingLogger(logger: Logger, redact: Redact): Logger {
  const wrap = (method: keyof Logger) => (obj: object | string, msg?: string) => {
    const safe = typeof obj === 'string' ? redact(obj) : redactDeep(obj, redact);
    if (msg === undefined) logger[method](safe);
    else logger[method](safe, redact(msg));
  };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
