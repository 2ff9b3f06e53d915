import { join } from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import type { BodyStore, Bus } from '../bus/bus.js';
import { createFileBodyStore } from '../bus/file-body-store.js';
import { createPubSubBus } from '../bus/pubsub-bus.js';
import { subscribeDeliveries, type DeliverySubscription } from '../bus/subscribe-deliveries.js';
import { secretValues } from '../config/index.js';
import { createSecretBox } from '../crypto/index.js';
import { ConnectorError, errorLogFields } from '../errors/index.js';
import type { LoadedManifest } from '../manifest/index.js';
import { openSqliteStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../sync/types.js';
import { createDeliveryHandler, type HandleResult } from './handle-delivery.js';
import { createRetention, DEFAULT_RETENTION_MS, type Retention } from '../service/retention.js';
import { deadLetterTopicName, workerSubscriptionName } from './names.js';
import { loadTargets } from './targets.js';

export interface WorkerOptions {
  /** Holds the worker's own gwi.db (inbox copy for dedupe, records) and secret key file. */
  dataDir: string;
  /** Google Cloud project (`GWI_PUBSUB_PROJECT`); any id against the emulator. */
  projectId: string;
  connectionsFile?: string;
  /** Connections given in code; see loadTargets. */
  connections?: readonly unknown[];
  /** Default: the bundled manifests named by the connections. */
  manifests?: readonly LoadedManifest[];
  /** Only these connectors (default: every connector of the connections that declares webhooks). */
  connectors?: readonly string[];
  /** Prepended to the subscription and dead-letter topic names. Default ''. */
  subscriptionPrefix?: string;
  /** Pub/Sub max delivery attempts before the dead-letter topic, 5..100. Default 5. */
  maxAttempts?: number;
  /**
   * How long the worker keeps its copies of deliveries (for dedupe), whatever their status, before
   * deleting them. Default 7 days; 0 keeps them for good.
   */
  retentionMs?: number;
  /** Reads bodies published by reference. Default `<dataDir>/bodies` (must be the receivers' store). */
  bodyStore?: BodyStore;
  /** Where records go. Default a Pub/Sub bus on the same project. Closed by `close()`. */
  bus?: Bus;
  /** Default a client on `projectId`, closed by `close()`. */
  pubsub?: PubSub;
  /** Subscription settings applied when it is created; see SubscribeDeliveriesOptions. */
  ordered?: boolean;
  retryBackoffSeconds?: { minimum: number; maximum: number };
  maxInFlight?: number;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  now?: () => number;
}

export interface WorkerStats {
  processed: number;
  duplicates: number;
  failed: number;
}

export interface Worker {
  readonly store: Store;
  /** Deletes the worker's old copies of deliveries (a minute after start, then hourly). */
  readonly retention: Retention;
  /** The subscriptions pulled from, one per connector. */
  readonly subscriptions: readonly string[];
  stats(): WorkerStats;
  /** Every secret value of the worker's connections (for log redaction). */
  secretValues(): string[];
  /** Stop pulling, finish the deliveries in hand (acked or nacked), close the bus and the database. */
  close(): Promise<void>;
  /**
   * Resolves (never rejects) once the worker stopped by itself because a subscription's pull stream
   * ended for good (deleted subscription, revoked permission): the error was logged once and the
   * worker closed. Stays pending while the worker runs and after a `close()`.
   */
  readonly failed: Promise<ConnectorError>;
}

/**
 * The worker of the scale-out deployment: pulls the deliveries receivers published
 * (`serve --bus pubsub`), maps them to records, stores and publishes the records, and acks each
 * delivery only after that. See createDeliveryHandler for the order of the steps.
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const env = options.env ?? process.env;
  const maxAttempts = options.maxAttempts ?? 5;
  const prefix = options.subscriptionPrefix ?? '';
  if (!options.projectId) throw new ConnectorError('BUS_CONFIG', 'The worker needs a Pub/Sub project id.', { hint: 'Set GWI_PUBSUB_PROJECT (or --bus-project).' });
  if (!/^[A-Za-z0-9._~+%-]*$/.test(prefix)) {
    throw new ConnectorError('BUS_CONFIG', `--subscription-prefix "${prefix}" has characters Pub/Sub names do not allow.`, { hint: 'Use letters, digits and - . _ ~ + %.' });
  }
  const targets = await loadTargets({
    ...(options.connectionsFile ? { connectionsFile: options.connectionsFile } : {}),
    ...(options.connections ? { connections: options.connections } : {}),
    ...(options.manifests ? { manifests: options.manifests } : {}),
    env,
  });
  const withWebhooks = [...new Set([...targets.values()].filter((t) => t.manifest.node.webhooks).map((t) => t.connector))];
  const connectors = options.connectors ? [...options.connectors] : withWebhooks;
  for (const name of connectors) {
    if (!withWebhooks.includes(name)) {
      throw new ConnectorError('CONFIG_INVALID', `connector ${name}: no connection of this worker uses it, or its manifest declares no webhooks`, { hint: 'Add its connections to the connections file.' });
    }
  }
  if (connectors.length === 0) {
    throw new ConnectorError('CONFIG_INVALID', 'The worker has no connection whose connector declares webhooks: nothing to pull.', {
      hint: 'Pass the connections file the receivers use (--connections).',
    });
  }

  // The database first: a data directory it cannot use must not leave a Pub/Sub client behind.
  const store = await openSqliteStore({ file: join(options.dataDir, 'gwi.db'), secretBox: () => createSecretBox(options.dataDir, env), ...(options.logger ? { logger: options.logger } : {}) });
  const pubsub = options.pubsub ?? new PubSub({ projectId: options.projectId });
  const bus = options.bus ?? createPubSubBus({ projectId: options.projectId, pubsub });
  const stats: WorkerStats = { processed: 0, duplicates: 0, failed: 0 };
  const counters: Record<HandleResult | 'failed', keyof WorkerStats> = { processed: 'processed', duplicate: 'duplicates', failed: 'failed' };
  const handler = createDeliveryHandler({
    store, bus, maxAttempts, target: (id) => targets.get(id),
    ...(options.now ? { now: options.now } : {}), ...(options.logger ? { logger: options.logger } : {}),
    onResult: (result) => { stats[counters[result]] += 1; },
  });

  const loggedByHandler = new WeakSet<object>();
  let closing: Promise<void> | undefined;
  let reportFailure: (error: ConnectorError) => void = () => {};
  const failed = new Promise<ConnectorError>((resolve) => (reportFailure = resolve));
  // One subscription that stops ends the worker: it would otherwise keep running without pulling
  // that connector's deliveries. Logged once here; closing lets the command exit non-zero.
  let stoppedWhileStarting: ConnectorError | undefined;
  let starting = true;
  const onStopped = (name: string) => (error: ConnectorError) => {
    if (closing || stoppedWhileStarting) return;
    if (starting) {
      stoppedWhileStarting = error; // the start-up below fails with it, closing what it opened
      return;
    }
    options.logger?.error({ subscription: name, ...errorLogFields(error) }, 'worker: stopped pulling');
    closing = release();
    closing.catch(() => {}).finally(() => reportFailure(error));
  };
  // The worker's rows are copies: Pub/Sub owns retries and dead letters, and a row a killed worker
  // left pending was redelivered to another. Without this the worker's database kept every body.
  const retention = createRetention({
    store, retentionMs: options.retentionMs ?? DEFAULT_RETENTION_MS, anyStatus: true, now: options.now ?? Date.now,
    onError: (error) => options.logger?.warn(errorLogFields(error), 'pruning old deliveries failed'),
  });
  const subscriptions: DeliverySubscription[] = [];
  const names: string[] = [];
  const release = async () => {
    retention.stop();
    await Promise.allSettled(subscriptions.map((s) => s.close()));
    await bus.close().catch(() => {});
    if (!options.pubsub) await pubsub.close().catch(() => {});
    await store.close();
  };
  try {
    for (const connector of connectors) {
      const name = workerSubscriptionName(connector, prefix);
      subscriptions.push(await subscribeDeliveries({
        projectId: options.projectId, pubsub, connector, subscription: name,
        deadLetterTopic: deadLetterTopicName(connector, prefix), maxDeliveryAttempts: maxAttempts,
        bodyStore: options.bodyStore ?? createFileBodyStore(join(options.dataDir, 'bodies')),
        handler: async (delivery) => {
          try {
            await handler(delivery);
          } catch (error) {
            if (typeof error === 'object' && error !== null) loggedByHandler.add(error);
            throw error;
          }
        },
        ...(options.ordered !== undefined ? { ordered: options.ordered } : {}),
        ...(options.retryBackoffSeconds ? { retryBackoffSeconds: options.retryBackoffSeconds } : {}),
        ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}),
        onError: (error, where) => {
          // The handler logs its own failures; this reports the rest (undecodable messages, a body it cannot read).
          if (typeof error === 'object' && error !== null && loggedByHandler.has(error)) return;
          options.logger?.error({ subscription: name, ...where, ...errorLogFields(error) }, 'worker: message not handled');
        },
        onStreamError: (error) => {
          options.logger?.warn({ subscription: name, ...errorLogFields(error) }, 'worker: Pub/Sub pull stream error (retried)');
        },
        onStopped: onStopped(name),
      }));
      names.push(name);
    }
    if (stoppedWhileStarting) throw stoppedWhileStarting;
  } catch (error) {
    await release();
    throw error;
  }
  starting = false;
  retention.start();

  return {
    store,
    retention,
    subscriptions: names,
    stats: () => ({ ...stats }),
    secretValues: () => [...targets.values()].flatMap((t) => secretValues(t.manifest.node.spec, t.config)),
    close: () => (closing ??= release()),
    failed,
  };
}
