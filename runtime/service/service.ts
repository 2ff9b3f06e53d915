import { join } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { createLocalBus } from '../bus/local-bus.js';
import { createSecretBox } from '../crypto/index.js';
import { ConnectorError, ERROR_CODES, errorLogFields, isConnectorError, relocated } from '../errors/index.js';
import { bundledManifestNames, loadManifest, type LoadedManifest } from '../manifest/index.js';
import { createScheduler, parseSchedule, type Scheduler } from '../scheduler/index.js';
import { openSqliteStore } from '../store/index.js';
import type { ConnectionRow, DeliverySummary, Store } from '../store/types.js';
import type { Connector } from '../sync/types.js';
import { renderSecrets, secretSources, type RawHeaders } from '../webhooks/index.js';
import type { WebhooksNode } from '../webhooks/schema.js';
import type { BackoffOptions } from './backoff.js';
import { checkConnectionInput, readConnectionsFile, type ConnectionInput } from './connections-file.js';
import { createPipelineCache } from './pipelines.js';
import { createDispatcher, type Dispatcher } from './dispatcher.js';
import { createThreadDispatcher, type ThreadDispatcher } from './dispatcher-thread.js';
import { createConnector } from '../sync/index.js';
import { buildHealth, type ConnectionHealthInput, type HealthReport } from './health.js';
import { DEFAULT_MAX_BODY_BYTES, failure, ingestDelivery, type IngestDeps, type IngestReply, type IngestTarget } from './ingest.js';
import { createRefusalLog } from './refusal-log.js';
import { createMetrics, type IngestOutcome, type ServiceMetrics } from './metrics.js';
import { createProbeLoop, type ProbeLoop } from './probes.js';
import { createRepublisher, type Republisher } from './republisher.js';
import { createRetention, DEFAULT_RETENTION_MS, type Retention } from './retention.js';
import { resolveConfig, secretPaths, valuesAt, type SecretPath } from '../config/index.js';
import { describeSecretPath, withoutSecrets } from './spec.js';
import { createSyncRunner, type SyncRunner } from './sync-runner.js';

export interface ServiceOptions {
  /** Holds gwi.db and the secret key file. */
  dataDir: string;
  /** Default: every bundled manifest in manifests/. */
  manifests?: readonly LoadedManifest[];
  connectionsFile?: string;
  bus?: Bus;
  logger?: PinoLogger;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** maxAttempts: attempts before a delivery goes dead; default env GWI_MAX_ATTEMPTS, else 5. */
  dispatcher?: { maxAttempts?: number; backoff?: BackoffOptions; pollMs?: number };
  /** Replace a connection's API base URL (tests against local servers). */
  urlBaseOverride?: (connectionId: string) => string | undefined;
  /** Where inbox commits run (see SqliteStoreOptions.inbox). Default `worker`. */
  inbox?: 'worker' | 'inline';
  /** Start the dispatcher and the schedules (default true; tests may drive them by hand). */
  background?: boolean;
  /**
   * Run the dispatcher on its own thread with its own SQLite connection (dispatcher-thread.ts), so
   * mapping never takes the HTTP event loop. Default: yes when running from dist/ with the local
   * bus, the real clock and manifests loaded from files (what `serve` does); tests drive the
   * in-thread dispatcher unless they ask.
   */
  dispatcherThread?: boolean;
  /** How often each connection's manifest `health_check` is probed for /health (default 60 s; 0: never). */
  probeIntervalMs?: number;
  /**
   * Map deliveries to records here (default true). false: a receiver in front of Pub/Sub workers
   * (`gwi-connectors worker`): a delivery is done once the bus confirmed it, and the workers map it.
   * Needs a Pub/Sub bus, since nothing else would process the deliveries.
   */
  dispatch?: boolean;
  /**
   * A receiver without dispatch: how it publishes deliveries whose publish failed (answered 503), since
   * GitHub and GitLab never retry. Defaults: every 10 s, deliveries received over 30 s ago (republisher.ts).
   */
  republish?: { intervalMs?: number; graceMs?: number; backoff?: BackoffOptions };
  /** How long done deliveries (with their bodies) are kept for dedupe and inspection (default 7 days; 0: forever). */
  retentionMs?: number;
  /**
   * On close, running syncs are aborted and waited for at most this long (default 10 s); one still
   * running is then marked failed "interrupted by shutdown", so close() always finishes.
   */
  syncStopTimeoutMs?: number;
}

/** A connection as the admin API shows it: secrets left out, their names listed. */
export interface PublicConnection {
  id: string;
  connector: string;
  config: Record<string, unknown>;
  secrets: string[];
  schedule: string | null;
  source: 'file' | 'api';
}

export interface Service {
  readonly store: Store;
  readonly metrics: ServiceMetrics;
  readonly bus: Bus;
  readonly dispatcher: Dispatcher;
  /** Receivers without dispatch (`--no-dispatch`) only: publishes the deliveries whose publish failed. */
  readonly republisher: Republisher | undefined;
  readonly syncs: SyncRunner;
  readonly scheduler: Scheduler;
  readonly probes: ProbeLoop;
  readonly retention: Retention;
  connectors(): Array<{ name: string; version: string; description: string | null; streams: string[]; webhooks: boolean; events: string[] }>;
  /** The largest body this connector's webhooks accept (`webhooks.max_body_bytes`, else 25 MiB): the HTTP layer reads no more. */
  maxBodyBytes(connector: string): number;
  listConnections(): PublicConnection[];
  getConnection(id: string): PublicConnection | undefined;
  /** A stored connection that is not running (CONNECTION_UNAVAILABLE): its connector and why. */
  unavailableConnection(id: string): { connector: string; reason: string; fix: string } | undefined;
  /**
   * A connection posted through the API: validate against the manifest spec, store (secrets sealed),
   * schedule. Throws CONFIG_INVALID, or CONNECTION_FROM_FILE for an id the connections file defines.
   * (`source` says so at the call site; the file's connections are checked whole at start.)
   */
  putConnection(input: unknown, source: 'api'): PublicConnection;
  /**
   * Stop and forget a connection of the API: no more webhooks (404), syncs or schedule. Its stored
   * deliveries, records, state and runs are kept (posted again under the same id, it goes on from
   * them). Throws CONNECTION_FROM_FILE for one the file defines, SYNC_RUNNING while it syncs.
   */
  removeConnection(id: string): 'removed' | 'not_found';
  /** Whether `ingest` would look at a body for this connector and connection (a running connection whose connector has webhooks): a map lookup. */
  takesWebhooks(connector: string, connection: string): boolean;
  ingest(connector: string, connection: string, rawBody: Buffer, headers: RawHeaders, contentType: string | undefined): Promise<IngestReply>;
  /** The 413 for a body over maxBodyBytes, refused by the HTTP layer before it reached `ingest`; counted like ingest's outcomes. */
  bodyTooLarge(connector: string): IngestReply;
  /** The 503 SERVER_BUSY for a body refused because the bodies being received fill their memory budget; counted as `unavailable`. */
  uploadsFull(connector: string): IngestReply;
  /** A webhook refused unread because the service is shutting down (503 SHUTTING_DOWN): counted as `unavailable`. */
  refusedWhileClosing(connector: string): void;
  /** A request Node's HTTP parser refused, or that timed out, before any route saw it (its error code): counted. */
  refusedByHttp(code: string): void;
  /**
   * Put a delivery back in the queue (attempts reset). Several matches: pass the connection. Without
   * dispatch, one not yet handed to the workers is published again; one they have is `on_workers`.
   * Throws CONNECTION_UNAVAILABLE (with the reason) for a delivery of a stored connection that is not running.
   */
  replay(id: string, connection?: string): Promise<{ result: 'replayed'; delivery: DeliverySummary } | { result: 'not_found' } | { result: 'ambiguous'; connections: string[] } | { result: 'on_workers' }>;
  /**
   * Every `dead` (or `failed`) delivery of a connection configured now back in the queue, as
   * `replay` does one (after a manifest fix: one call, not one per delivery); how many. Undefined
   * for a connection not configured now; throws CONNECTION_UNAVAILABLE for one stored but not running.
   */
  replayAll(connection: string, status: 'dead' | 'failed'): Promise<number | undefined>;
  health(): HealthReport;
  /** Every secret value configured (for log redaction). */
  secretValues(): string[];
  /**
   * The first step of shutting down, run while the HTTP server still finishes its requests: no new
   * scheduled sync, probe or retention run; syncs in progress are aborted and waited for (see
   * SyncRunner.stop). Webhooks are still stored and dispatched until `close()`.
   */
  stopWork(): Promise<void>;
  /** stopWork(), then the dispatcher, the bus and the database. */
  close(): Promise<void>;
}

interface Live {
  row: ConnectionRow;
  manifest: LoadedManifest;
  secretPaths: SecretPath[];
  /** The values at secretPaths: masked in logs and in the errors stored with deliveries. */
  secretValues: string[];
  /** What ingest needs of this connection, built on its first webhook. */
  intake?: IngestTarget;
  connector?: Promise<Connector>;
  opened?: Connector;
}

/** Webhook secrets shorter than this are warned about (not refused: the provider may have chosen it). */
const MIN_WEBHOOK_SECRET_LENGTH = 16;

export async function createService(options: ServiceOptions): Promise<Service> {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const logger = options.logger;
  const manifests = new Map<string, LoadedManifest>();
  for (const manifest of options.manifests ?? (await loadBundled(logger))) manifests.set(manifest.node.name, manifest);

  const bus = options.bus ?? createLocalBus();
  const dispatch = options.dispatch ?? true;
  if (!dispatch && bus.kind === 'local') {
    throw new ConnectorError('BUS_CONFIG', 'dispatch is off but the bus is local: nothing would map the deliveries', {
      hint: 'Turn dispatch off only on receivers in front of Pub/Sub workers (serve --bus pubsub --no-dispatch).',
    });
  }
  const dispatcherOptions = { ...options.dispatcher, ...maxAttemptsFromEnv(options.dispatcher?.maxAttempts, env) };
  // The connections file is read and every entry checked (manifest, config, schedule) before anything
  // is stored or started: a refused start changes nothing, not even the entries before the bad one.
  const fromFile = options.connectionsFile === undefined ? undefined : checkConnectionsFile(options.connectionsFile, manifests, env);
  // Opened after the checks above, so a refused start-up leaves no database handle behind.
  const dbFile = join(options.dataDir, 'gwi.db');
  const store = await openSqliteStore({
    file: dbFile, secretBox: () => createSecretBox(options.dataDir, env), ...(options.inbox ? { inbox: options.inbox } : {}), ...(logger ? { logger } : {}),
  });
  const live = new Map<string, Live>();
  const pipelineFor = createPipelineCache();

  const openConnector = (entry: Live): Promise<Connector> => {
    entry.connector ??= Promise.resolve().then(() => {
      const urlBaseOverride = options.urlBaseOverride?.(entry.row.id);
      const connector = createConnector({
        manifest: entry.manifest, config: entry.row.config, connectionId: entry.row.id, tokenStore: store.tokenStore(entry.row.id),
        ...(logger ? { logger } : {}), ...(urlBaseOverride ? { urlBaseOverride } : {}),
        // Aborted when the service closes: a sync's requests and backoff waits end then.
        signal: syncs.signal,
      });
      entry.opened = connector;
      return connector;
    }).catch((error: unknown) => {
      entry.connector = undefined;
      throw error;
    });
    return entry.connector;
  };

  // HTTP retries of the connectors a connection had before it was posted again (its connector is
  // rebuilt then): the metric counts since the service started.
  const earlierRetries = new Map<string, number>();
  const metrics = createMetrics({
    queueCounts: () => store.queueCounts(),
    connectorHealth: () => [...live.values()].flatMap((entry) => {
      const id = entry.row.id;
      const health = entry.opened?.health();
      const retries = (earlierRetries.get(id) ?? 0) + (health?.retries ?? 0);
      return health || retries > 0 ? [{ connection: id, retries, breaker: health?.breaker ?? null }] : [];
    }),
  });

  const useThread = options.dispatcherThread ?? (import.meta.url.endsWith('.js') && bus.kind === 'local' && !options.now);
  const threaded: ThreadDispatcher | undefined = useThread
    ? createThreadDispatcher({ dbFile, manifests: [...manifests.values()], metrics, store, ...(logger ? { logger } : {}), ...dispatcherOptions, ...(store.inboxPort ? { inboxPort: () => store.inboxPort?.() } : {}) })
    : undefined;
  // Webhook requests being ingested now: the dispatcher yields the CPU to them (see DispatcherOptions.busy).
  // A dispatcher thread reads the same counter (shared memory).
  const ingesting = threaded?.inFlight ?? new Int32Array(1);
  const dispatcher: Dispatcher = threaded ?? createDispatcher({
    store, bus, metrics, now, ...(logger ? { logger } : {}), busy: () => ingesting[0]! > 0, ...dispatcherOptions,
    target(connectionId) {
      const entry = live.get(connectionId);
      return entry && { manifest: entry.manifest, config: entry.row.config, secrets: entry.secretValues, pipelineFor: pipelineFor(entry.manifest) };
    },
  });
  const syncStopTimeoutMs = options.syncStopTimeoutMs;
  const syncs = createSyncRunner({
    store, bus, metrics, now, ...(logger ? { logger } : {}), ...(syncStopTimeoutMs === undefined ? {} : { stopTimeoutMs: syncStopTimeoutMs }),
    target(connectionId) {
      const entry = live.get(connectionId);
      return entry && { connector: entry.row.connector, open: () => openConnector(entry), pipelineFor: pipelineFor(entry.manifest) };
    },
  });
  const scheduler = createScheduler({
    now, ...(syncStopTimeoutMs === undefined ? {} : { stopTimeoutMs: syncStopTimeoutMs }),
    ...(logger ? { logger } : {}),
    run: async (connectionId) => {
      if (live.has(connectionId)) await syncs.start(connectionId, 'schedule').done;
    },
  });

  const probes = createProbeLoop({
    intervalMs: options.probeIntervalMs ?? 60_000,
    targets: () => [...live.values()].filter((entry) => entry.manifest.node.health_check).map((entry) => ({ id: entry.row.id, open: () => openConnector(entry) })),
  });

  function activate(row: ConnectionRow): Live {
    const manifest = manifests.get(row.connector);
    if (!manifest) throw new ConnectorError('MANIFEST_NOT_FOUND', `connection ${row.id}: no manifest named ${row.connector}`, { hint: `Known connectors: ${[...manifests.keys()].join(', ') || '(none)'}` });
    // Before anything changes: a schedule refused must leave the connection as it was (or not running at all).
    if (row.schedule) parseSchedule(row.schedule);
    const previous = live.get(row.id);
    if (previous?.opened) earlierRetries.set(row.id, (earlierRetries.get(row.id) ?? 0) + previous.opened.health().retries);
    // A run in progress keeps the connector it started with (and the config): closed under it, the
    // run would fail. The new config applies from the next run.
    const replaced = previous?.opened;
    if (replaced) void syncs.idle(row.id).then(() => replaced.close()).catch(() => {});
    const paths = withSealedPaths(secretPaths(manifest.node.spec, row.config), row.sealedPaths);
    const entry: Live = { row, manifest, secretPaths: paths, secretValues: valuesAt(row.config, paths) };
    live.set(row.id, entry);
    // The last probe was of the config replaced: probe the new one now rather than show the old result for a minute.
    probes.forget(row.id);
    if (manifest.node.health_check) probes.probeSoon({ id: row.id, open: () => openConnector(entry) });
    threaded?.setConnection({ id: row.id, connector: row.connector, config: row.config, secrets: entry.secretValues });
    if (row.schedule) scheduler.schedule(row.id, row.schedule);
    else scheduler.unschedule(row.id);
    return entry;
  }

  const toPublic = (entry: Live): PublicConnection => ({
    id: entry.row.id, connector: entry.row.connector, config: withoutSecrets(entry.row.config, entry.secretPaths),
    secrets: entry.secretPaths.map(describeSecretPath), schedule: entry.row.schedule, source: entry.row.source,
  });

  // Ids the connections file defines: the file wins for them at every start, so the API may not change them.
  const fileIds = new Set((fromFile ?? []).map((entry) => entry.row.id));
  // Stored connections that cannot run (their secrets cannot be opened, or what was stored is not
  // valid in this release), kept until replaced: see CONNECTION_UNAVAILABLE, and `fix` what repairs it.
  const unavailable = new Map<string, { connector: string; schedule: string | null; reason: string; fix: string }>();

  /** The API may not change what the file defines: the file wins at every start, and the change would be lost. */
  function refuseFileConnection(id: string, change: 'edit' | 'remove'): void {
    if (!fileIds.has(id)) return;
    throw new ConnectorError('CONNECTION_FROM_FILE', `connection ${id} is defined in ${options.connectionsFile ?? 'the connections file'}; ${change} it there`, {
      location: { path: 'id' },
      hint: change === 'edit'
        ? 'The connections file wins at every start, so a change made through the API would be lost. Edit the file and restart, or post the connection under another id.'
        : 'The connections file wins at every start: remove the entry from the file and restart.',
    });
  }

  /** A connection posted through the API (the file's are checked whole at start: checkConnectionsFile). */
  function putConnection(input: unknown): PublicConnection {
    const entry: ConnectionInput = checkConnectionInput(input, 'request body');
    refuseFileConnection(entry.id, 'edit');
    return saveAndActivate(checkConnection(entry, 'api', manifests, { env }));
  }

  /** Store a checked connection (secrets sealed) and run it in place of what ran under its id. */
  function saveAndActivate(checked: CheckedConnection): PublicConnection {
    store.saveConnection(checked.row, checked.secretPaths);
    return runSaved(checked);
  }

  /** Run a checked connection, already stored, in place of what ran under its id. */
  function runSaved(checked: CheckedConnection): PublicConnection {
    unavailable.delete(checked.row.id);
    const live = activate(checked.row);
    warnWithoutWebhookSecret(live);
    return toPublic(live);
  }

  /** What ingest needs of a connection; its secrets are rendered once, on first use. */
  function intakeFor(entry: Live, webhooks: WebhooksNode): IngestTarget {
    let secrets: Promise<string[]> | undefined;
    return {
      connector: entry.row.connector, connection: entry.row.id, webhooks,
      secrets: () => (secrets ??= renderSecrets(webhooks.signature, { config: entry.row.config })),
    };
  }

  /**
   * What a connection's webhooks will meet, said when it is configured, naming config keys, never
   * values: no secret (every delivery 500 WEBHOOK_MISCONFIGURED), a secret short enough to guess, or
   * a rule that checks nothing (`type: none`: anyone who knows the URL can post).
   */
  function warnWithoutWebhookSecret(entry: Live): void {
    const webhooks = entry.manifest.node.webhooks;
    const signature = webhooks?.signature;
    if (!webhooks || !signature || !logger) return;
    const about = { connection: entry.row.id, connector: entry.row.connector };
    if (signature.type === 'none') {
      logger.warn(about, `connection ${entry.row.id}: its connector's webhooks are unsigned (signature type none): anyone who can reach /webhooks/${entry.row.connector}/${entry.row.id} can post deliveries; serve it on a private network only`);
      return;
    }
    // The secrets ingest will check against, rendered now once for both.
    void (entry.intake ??= intakeFor(entry, webhooks)).secrets().then((secrets) => {
      const keys = secretSources(signature);
      if (secrets.length === 0) {
        logger.warn({ ...about, keys }, `connection ${entry.row.id} has no webhook secret (set ${keys.join(' or ')}): every webhook delivery to it will be refused with 500 WEBHOOK_MISCONFIGURED until it is set`);
      } else if (secrets.some((secret) => secret.length < MIN_WEBHOOK_SECRET_LENGTH)) {
        logger.warn({ ...about, keys }, `connection ${entry.row.id} has a webhook secret shorter than ${MIN_WEBHOOK_SECRET_LENGTH} characters (${keys.join(' or ')}): short secrets can be guessed; use a long random one (e.g. openssl rand -hex 32) at the provider and here`);
      }
    }, () => {});
  }

  // Connections stored earlier (API), then the file (which wins for its ids: those stored are replaced,
  // not started first). With a file, a connection it gave once and lists no more is removed (`dropped`).
  // Without one, what earlier files gave keeps running as stored (and the API may then change it).
  const stored = store.listConnections();
  const dropped = fromFile === undefined ? [] : [...stored.readable, ...stored.unreadable].filter((row) => row.source === 'file' && !fileIds.has(row.id)).map((row) => row.id);
  const notStartedHere = new Set([...fileIds, ...dropped]);
  for (const row of stored.unreadable) {
    if (notStartedHere.has(row.id)) continue;
    unavailable.set(row.id, {
      connector: row.connector, schedule: row.schedule, reason: `its stored secrets cannot be opened (${row.error.message})`,
      fix: ERROR_CODES.CONNECTION_UNAVAILABLE.fix,
    });
  }
  for (const row of stored.readable) {
    if (notStartedHere.has(row.id)) continue;
    try {
      // Sealed again with the spec as it is now: a field the manifest has since marked secret (or one
      // an older version of this service did not find) does not stay in plain text.
      store.saveConnection(row, activate(row).secretPaths);
    } catch (error) {
      // Stored by an earlier release, and not valid in this one (a schedule refused now, a connector
      // gone): kept, and not running, with the reason, like one whose secrets cannot be opened.
      unavailable.set(row.id, {
        connector: row.connector, schedule: row.schedule,
        reason: `what is stored for it is not valid in this release (${error instanceof Error ? error.message : String(error)})`,
        fix: 'POST the connection again with a valid config and schedule (GET /api/connections shows none for it meanwhile).',
      });
    }
  }
  try {
    if (fromFile !== undefined && options.connectionsFile !== undefined) {
      // One transaction: a start that fails here (an I/O error) leaves what was stored as it was.
      // Dropped ones go like DELETE /api/connections/:id: the row, not its deliveries, records, state and runs.
      store.replaceConnections(fromFile, dropped);
      if (dropped.length > 0) {
        logger?.warn({ connections: dropped, file: options.connectionsFile },
          `connection${dropped.length > 1 ? 's' : ''} ${dropped.join(', ')} removed: ${options.connectionsFile} lists ${dropped.length > 1 ? 'them' : 'it'} no more (deliveries, records, state and runs are kept; an entry added back under the same id goes on from them)`);
      }
      for (const entry of fromFile) runSaved(entry);
      for (const { id, key, variable } of fromFile.flatMap((entry) => entry.emptyVariables.map((empty) => ({ id: entry.row.id, ...empty })))) {
        logger?.warn({ connection: id, key: `config.${key}`, variable },
          `connection ${id}: config.${key} comes from \${${variable}}, which is set but empty, so it is "" (set the variable, or write the value as "" if empty is meant)`);
      }
    }
    for (const [id, down] of unavailable) {
      logger?.error({ connection: id, connector: down.connector, code: 'CONNECTION_UNAVAILABLE' },
        `connection ${id} is not running: ${down.reason}. ${down.fix} Its webhooks are answered 503 meanwhile.`);
    }
    const interrupted = store.failInterruptedRuns(now());
    if (interrupted > 0) logger?.warn({ runs: interrupted }, 'sync runs interrupted by the last shutdown were marked failed');
  } catch (error) {
    // A bad connections file (or a store that fails now) stops the start-up: release the database,
    // the dispatcher thread and the timers first, so the process can exit.
    await scheduler.stop();
    await dispatcher.stop();
    await store.close();
    throw error;
  }

  const retention = createRetention({
    store, now, retentionMs: options.retentionMs ?? DEFAULT_RETENTION_MS,
    onError: (error) => logger?.warn(errorLogFields(error), 'pruning old deliveries failed'),
  });
  // Runs too (one row per sync: 86,400 a day for a connection synced every second), in batches with
  // webhooks let in between; each connection's latest run stays for /health.
  retention.alsoPrune(async (before) => {
    try {
      while (store.pruneRuns(before, 5_000) === 5_000) await new Promise((resolve) => setImmediate(resolve));
    } catch (error) {
      logger?.warn(errorLogFields(error), 'pruning old sync runs failed');
    }
  });
  // Without dispatch, a delivery is done here once the bus confirmed it (the workers map it).
  const handedOff = (seq: number, connection: string) => store.completeDelivery(seq, connection, []);
  const republisher = dispatch ? undefined : createRepublisher({
    store, bus, handedOff, now, ...(logger ? { logger } : {}), ...options.republish,
  });
  if (options.background ?? true) {
    retention.start();
    if (dispatch) dispatcher.start();
    republisher?.start();
    probes.start();
  }

  const bodyLimits = new Map([...manifests.values()].map((m) => [m.node.name, m.node.webhooks?.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES]));
  const maxBodyBytes = (connector: string) => bodyLimits.get(connector) ?? DEFAULT_MAX_BODY_BYTES;
  /** Every webhook reply is counted; a connector name nobody configured is one label, not one per name tried. */
  const countOutcome = (connector: string, outcome: IngestOutcome) =>
    metrics.deliveries.inc({ connector: manifests.has(connector) ? connector : UNKNOWN_CONNECTOR, outcome });
  const counted = (connector: string, reply: IngestReply): IngestReply => {
    countOutcome(connector, reply.outcome);
    return reply;
  };

  // Built once, not per request: ingest is the hot path.
  const ingestDeps: IngestDeps = {
    store, bus, metrics, now, ...(logger ? { logger } : {}), logRefusal: createRefusalLog(logger, now),
    onAccepted: () => dispatcher.wake(),
    ...(dispatch ? {} : { handedOff }),
  };

  let stopping: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const service: Service = {
    store, metrics, bus, dispatcher, republisher, syncs, scheduler, probes, retention,
    connectors() {
      return [...manifests.values()].map(({ node }) => ({
        name: node.name, version: node.version, description: node.description ?? null, streams: Object.keys(node.streams),
        webhooks: node.webhooks !== undefined, events: Object.keys(node.webhooks?.events ?? {}),
      }));
    },
    maxBodyBytes,
    listConnections: () => [...live.values()].map(toPublic),
    getConnection(id) {
      const entry = live.get(id);
      return entry && toPublic(entry);
    },
    unavailableConnection(id) {
      const down = unavailable.get(id);
      return down && { connector: down.connector, reason: down.reason, fix: down.fix };
    },
    putConnection,
    removeConnection(id) {
      refuseFileConnection(id, 'remove');
      const entry = live.get(id);
      if (!entry && !unavailable.has(id)) return 'not_found';
      if (syncs.isRunning(id)) throw new ConnectorError('SYNC_RUNNING', `connection ${id} is syncing; it can be removed once the run ends`, { hint: ERROR_CODES.SYNC_RUNNING.fix });
      store.deleteConnection(id);
      unavailable.delete(id);
      live.delete(id);
      earlierRetries.delete(id);
      probes.forget(id);
      scheduler.unschedule(id);
      threaded?.removeConnection(id);
      void entry?.opened?.close().catch(() => {});
      return 'removed';
    },
    takesWebhooks(connector, connection) {
      const entry = live.get(connection);
      return entry?.row.connector === connector && entry.manifest.node.webhooks !== undefined;
    },
    async ingest(connector, connection, rawBody, headers, contentType) {
      const entry = live.get(connection);
      const webhooks = entry?.manifest.node.webhooks;
      if (!manifests.has(connector)) return counted(connector, failure(404, 'NOT_FOUND', `unknown connector ${connector}`, 'not_found'));
      if (!entry || entry.row.connector !== connector) {
        const down = unavailable.get(connection);
        // The reason stays with the operator (/health, the log): this answer goes to whoever posts.
        if (down?.connector === connector) return counted(connector, failure(503, 'CONNECTION_UNAVAILABLE', `connection ${connection} is not running; its operator is told why`, 'unavailable'));
        return counted(connector, failure(404, 'NOT_FOUND', `unknown connection ${connection} for connector ${connector}`, 'not_found'));
      }
      if (!webhooks) return counted(connector, failure(404, 'NOT_FOUND', `connector ${connector} declares no webhooks`, 'not_found'));
      const started = performance.now();
      ingesting[0]!++;
      let reply: IngestReply;
      try {
        entry.intake ??= intakeFor(entry, webhooks);
        reply = await ingestDelivery(ingestDeps, entry.intake, rawBody, headers, contentType);
      } finally {
        ingesting[0]!--;
      }
      // The time to a durable answer: refusals (bad signature, malformed body) answer without a
      // write, and a flood of them would pull the quantiles down.
      if (reply.outcome === 'accepted' || reply.outcome === 'duplicate') metrics.ingestLatency.observe({ connector }, (performance.now() - started) / 1000);
      return counted(connector, reply);
    },
    refusedWhileClosing(connector) {
      countOutcome(connector, 'unavailable');
    },
    refusedByHttp(code) {
      metrics.httpRefused.inc({ code });
    },
    bodyTooLarge(connector) {
      return counted(connector, failure(413, 'WEBHOOK_BODY', `body is larger than ${maxBodyBytes(connector)} bytes`, 'too_large'));
    },
    uploadsFull(connector) {
      return counted(connector, {
        ...failure(503, 'SERVER_BUSY', 'webhook bodies being received fill the memory set aside for them; this one was refused before or while it was read, and nothing of it was stored: retry in a few seconds', 'unavailable'),
        retryAfterSeconds: 5,
      });
    },
    async replay(id, connection) {
      // Looked up in the connections configured now (running or not): a delivery of a removed
      // connection could not be mapped anyway.
      const where = [
        ...[...live.values()].map((entry) => ({ connector: entry.row.connector, connection: entry.row.id })),
        ...[...unavailable].map(([unavailableId, down]) => ({ connector: down.connector, connection: unavailableId })),
      ].filter((target) => connection === undefined || target.connection === connection);
      const matches = await store.findDeliveries(id, where);
      if (matches.length === 0) return { result: 'not_found' };
      if (matches.length > 1) return { result: 'ambiguous', connections: matches.map((m) => m.connection) };
      const delivery = matches[0]!;
      const down = unavailable.get(delivery.connection);
      if (down) {
        // Stored, not removed: say why it does not run, as its sync does. Nothing is changed.
        throw new ConnectorError('CONNECTION_UNAVAILABLE', `connection ${delivery.connection} is not running: ${down.reason}; its delivery ${id} can be replayed once it runs again`, {
          hint: down.fix,
        });
      }
      if (republisher) {
        // Done here means Pub/Sub confirmed it: a failure since was the workers', and their
        // dead-letter topic is where to replay it. Not done: it never reached them, publish it now.
        if (delivery.status === 'done') return { result: 'on_workers' };
        store.replayDelivery(delivery.seq, republisher.dueNow());
        republisher.wake();
        return { result: 'replayed', delivery };
      }
      store.replayDelivery(delivery.seq, now());
      dispatcher.wake();
      return { result: 'replayed', delivery };
    },
    async replayAll(connection, status) {
      const down = unavailable.get(connection);
      if (down) {
        throw new ConnectorError('CONNECTION_UNAVAILABLE', `connection ${connection} is not running: ${down.reason}; its deliveries can be replayed once it runs again`, { hint: down.fix });
      }
      if (!live.has(connection)) return undefined;
      // On a receiver (--no-dispatch) only deliveries not yet done are dead or failed: never handed to
      // the workers, so published now, as `replay` does.
      const count = await store.replayDeliveries(connection, status, republisher ? republisher.dueNow() : now());
      if (republisher) republisher.wake();
      else dispatcher.wake();
      return count;
    },
    health() {
      const storeOk = store.ping();
      const dead = storeOk ? store.deadByConnection() : {};
      const nextRuns = new Map(scheduler.list().map((s) => [s.connectionId, s.nextRunAt]));
      return buildHealth({
        storeOk,
        bus: { kind: bus.kind, failing: bus.failing?.() },
        dispatcher: dispatch ? { failing: dispatcher.failure?.() } : null,
        counts: storeOk ? store.queueCounts() : undefined,
        connectors: [...manifests.keys()],
        connections: [...live.values()].map((entry): ConnectionHealthInput => ({
          id: entry.row.id, connector: entry.row.connector, schedule: entry.row.schedule,
          breaker: entry.opened?.health().breaker ?? null,
          rateLimitRemaining: entry.opened?.health().rateLimitRemaining ?? null,
          probe: probes.latest(entry.row.id) ?? null,
          running: syncs.isRunning(entry.row.id),
          lastRun: storeOk ? store.lastRun(entry.row.id) : undefined,
          deadDeliveries: dead[entry.row.id] ?? 0,
          nextRunAt: nextRuns.get(entry.row.id) ?? null,
        })).concat([...unavailable].map(([id, down]): ConnectionHealthInput => ({
          id, connector: down.connector, schedule: down.schedule, breaker: null, running: false, lastRun: storeOk ? store.lastRun(id) : undefined,
          deadDeliveries: dead[id] ?? 0, nextRunAt: null, unavailable: down.reason,
        }))),
      });
    },
    // At the paths shown as secret (the spec's and those found sealed), not the spec's alone.
    secretValues: () => [...live.values()].flatMap((entry) => entry.secretValues),
    stopWork() {
      stopping ??= (async () => {
        probes.stop();
        retention.stop();
        // Together: the scheduler waits for its runs, which end when the sync runner aborts them
        // (or gives up on them after its deadline).
        await Promise.all([scheduler.stop(), syncs.stop()]);
      })();
      return stopping;
    },
    close() {
      closing ??= (async () => {
        await service.stopWork();
        await dispatcher.stop();
        await republisher?.stop();
        await Promise.allSettled([...live.values()].map((entry) => entry.opened?.close()));
        await bus.close();
        await store.close();
      })();
      return closing;
    },
  };
  return service;
}

async function loadBundled(logger: PinoLogger | undefined): Promise<LoadedManifest[]> {
  const out: LoadedManifest[] = [];
  for (const name of bundledManifestNames()) {
    try {
      out.push(await loadManifest(name));
    } catch (error) {
      logger?.error({ manifest: name, ...errorLogFields(error) }, 'manifest skipped: it does not load');
    }
  }
  return out;
}

/**
 * GWI_MAX_ATTEMPTS (the variable `worker --max-attempts` defaults to) sets how many attempts a delivery
 * gets before it goes dead, unless the caller passed a number. Read here only.
 */
function maxAttemptsFromEnv(given: number | undefined, env: NodeJS.ProcessEnv): { maxAttempts?: number } {
  if (given !== undefined) return { maxAttempts: given };
  const raw = env['GWI_MAX_ATTEMPTS'];
  if (raw === undefined || raw === '') return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new ConnectorError('CONFIG_INVALID', `--max-attempts (GWI_MAX_ATTEMPTS) must be an integer from 1 to 100, got ${raw}`, {
      hint: 'Leave it out for the default (5 attempts), or give e.g. --max-attempts 10.',
    });
  }
  return { maxAttempts: n };
}

/** The `connector` label of webhook metrics for a name no manifest has (unbounded names would be unbounded series). */
const UNKNOWN_CONNECTOR = '(unknown)';

/** A connection checked against its manifest, resolved and ready to store: nothing written yet. */
interface CheckedConnection {
  row: ConnectionRow;
  secretPaths: SecretPath[];
  /** Config keys (dotted) set from a `${VAR}` that is set but empty: warned about once the start goes on. */
  emptyVariables: Array<{ key: string; variable: string }>;
}

/**
 * Check one connection (its shape already checked): a known connector, the config against its spec
 * (`${ENV}` expanded for the file only), the schedule. Writes nothing, so a whole file can be checked
 * before any of it is stored.
 */
function checkConnection(entry: ConnectionInput, source: 'file' | 'api', manifests: ReadonlyMap<string, LoadedManifest>, where: { env: NodeJS.ProcessEnv; file?: string }): CheckedConnection {
  const manifest = manifests.get(entry.connector);
  if (!manifest) {
    // From the file, the error is placed at the entry and names it (FileConnection.locate).
    throw new ConnectorError('CONFIG_INVALID', `${source === 'api' ? `connection ${entry.id}: ` : ''}unknown connector ${entry.connector}`, {
      location: { path: 'connector' }, hint: `Known connectors: ${[...manifests.keys()].join(', ') || '(none)'}`,
    });
  }
  const emptyVariables: CheckedConnection['emptyVariables'] = [];
  const config = structuredClone(source === 'file'
    ? resolveConfig(entry.config, manifest, { env: where.env, ...(where.file ? { file: where.file } : {}), onEmptyVariable: (variable, key) => emptyVariables.push({ key, variable }) })
    : resolveApiConfig(entry.id, entry.config, manifest)) as Record<string, unknown>;
  const row: ConnectionRow = { id: entry.id, connector: entry.connector, config, schedule: entry.schedule ?? null, source };
  // Checked before storing, so a bad expression is refused (SCHEDULE_INVALID), not stored.
  if (row.schedule) atPath('schedule', () => parseSchedule(row.schedule!));
  return { row, secretPaths: secretPaths(manifest.node.spec, config), emptyVariables };
}

/** Every entry of the connections file, checked; the first refusal is placed at its line in the file. */
function checkConnectionsFile(file: string, manifests: ReadonlyMap<string, LoadedManifest>, env: NodeJS.ProcessEnv): CheckedConnection[] {
  return readConnectionsFile(file).map((entry) => {
    try {
      return checkConnection(entry.input, 'file', manifests, { env, file });
    } catch (error) {
      throw entry.locate(error);
    }
  });
}

/**
 * `${ENV}` is expanded for the connections file only: an API caller must not read the server's
 * environment. A reference in a posted config is therefore a mistake, and "export the variable"
 * would be the wrong fix.
 */
function resolveApiConfig(id: string, config: Record<string, unknown>, manifest: LoadedManifest): unknown {
  try {
    return resolveConfig(config, manifest, { env: {} });
  } catch (error) {
    if (!isConnectorError(error) || error.code !== 'CONFIG_ENV_MISSING') throw error;
    const variables = (error.context as { variables?: unknown } | undefined)?.variables;
    const first = Array.isArray(variables) && typeof variables[0] === 'string' ? variables[0] : '...';
    const more = Array.isArray(variables) && variables.length > 1 ? ` (and ${variables.length - 1} more)` : '';
    const where = error.location?.path ?? 'config';
    throw new ConnectorError('CONFIG_INVALID', `connection ${id}: ${where} holds \${${first}}${more}, but \`\${...}\` references are expanded only in the connections file, not in configs sent to the API`, {
      ...(error.location ? { location: { path: error.location.path } } : {}), context: error.context, cause: error,
      hint: 'Send the value itself (a literal "${" is written "$${").',
    });
  }
}

/** Run `check`; a ConnectorError it throws without a place is placed at `path` of the connection entry. */
function atPath<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!isConnectorError(error) || error.location) throw error;
    throw relocated(error, { path });
  }
}

/** The spec's secret paths and those the store found sealed (ConnectionRow.sealedPaths), once each. */
function withSealedPaths(paths: SecretPath[], sealed: readonly SecretPath[] = []): SecretPath[] {
  const key = (path: SecretPath) => JSON.stringify(path);
  const known = new Set(paths.map(key));
  return [...paths, ...sealed.filter((path) => !known.has(key(path)))];
}
