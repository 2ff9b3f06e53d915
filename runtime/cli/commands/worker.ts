import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createFileBodyStore } from '../../bus/file-body-store.js';
import { createPubSubBus } from '../../bus/pubsub-bus.js';
import { resolveBodiesDir, resolveCreateTopics, resolveProjectId } from '../../bus/shared-settings.js';
import { ConnectorError } from '../../errors/index.js';
import { createLogger } from '../../log/index.js';
import { startWorker, type Worker } from '../../worker/index.js';
import { withExtraManifests } from '../extra-manifests.js';
import { envDefault, explainStoreError, flagName, parseRetentionDays, prepareDataDir } from '../startup-settings.js';
import { runUntilSignal } from '../until-signal.js';

export interface WorkerArgs {
  data: string;
  connections?: string;
  subscriptionPrefix: string;
  maxAttempts: string;
  retentionDays?: string;
  busProject?: string;
  bodies?: string;
  /** commander's `--no-create-topics`: false when given. */
  createTopics?: boolean;
  manifests?: string;
}

/** Start pulling; resolves once every subscription is open, with a function that stops gracefully. */
export async function runWorker(args: WorkerArgs, env: NodeJS.ProcessEnv = process.env): Promise<{ worker: Worker; close(): Promise<void>; failed: Promise<unknown> }> {
  // Checked before anything is opened: a refused start-up leaves nothing running.
  const maxAttempts = /^\d+$/.test(args.maxAttempts.trim()) ? Number(args.maxAttempts) : NaN;
  if (!(maxAttempts >= 5 && maxAttempts <= 100)) {
    throw new ConnectorError('BUS_CONFIG', `${flagName('--max-attempts', 'GWI_MAX_ATTEMPTS')} must be an integer from 5 to 100 (Pub/Sub's bounds), got ${JSON.stringify(args.maxAttempts)}`, {
      hint: 'Leave it out for 5, or give e.g. --max-attempts 10.',
    });
  }
  const retentionMs = args.retentionDays === undefined ? undefined : parseRetentionDays(args.retentionDays);
  const dataDir = prepareDataDir(args.data);
  const projectId = resolveProjectId({ flag: args.busProject, env });
  // The same reading of --bodies / GWI_BODIES_DIR as `serve`, so both sides meet in one directory.
  const bodiesDir = resolveBodiesDir({ flag: args.bodies, dataDir, env });
  const createTopics = resolveCreateTopics({ flag: args.createTopics, env });
  // A body directory the worker cannot read would fail every large delivery until it is
  // dead-lettered: refuse to start instead, in one line (nothing is open yet).
  const bodyStore = createFileBodyStore(bodiesDir);
  await bodyStore.check('read');
  let worker: Worker | undefined;
  const logger = createLogger({ secrets: () => worker?.secretValues() ?? [] });
  const manifests = await withExtraManifests(args.manifests);
  // The records bus; the worker closes it. Only its topics follow --no-create-topics: the worker
  // creates its subscription (and the topics that needs) as before.
  const recordsBus = createTopics ? undefined : createPubSubBus({ projectId, createTopics });
  worker = await startWorker({
    dataDir, projectId, maxAttempts, env, logger,
    ...(retentionMs === undefined ? {} : { retentionMs }),
    ...(manifests ? { manifests } : {}),
    subscriptionPrefix: args.subscriptionPrefix,
    ...(args.connections ? { connectionsFile: resolve(args.connections) } : {}),
    bodyStore,
    ...(recordsBus ? { bus: recordsBus } : {}),
  }).catch(async (error: unknown) => {
    // The worker closes the bus it was given once it runs; a start that failed leaves it to us.
    await recordsBus?.close().catch(() => {});
    throw explainStoreError(error, dataDir);
  });
  logger.info({ data: dataDir, bodies: bodiesDir, project: projectId, subscriptions: worker.subscriptions, maxAttempts }, 'gwi-connectors worker pulling');
  const started = worker;
  let closing: Promise<void> | undefined;
  let failedAlready = false;
  const close = () =>
    (closing ??= (async () => {
      if (!failedAlready) logger.info('shutting down: no new deliveries; finishing the ones in hand');
      await started.close();
      logger.info({ ...started.stats() }, 'stopped');
    })());
  // The worker logged why it stopped (once, at error level) and closed itself.
  const failed = started.failed.then((error) => {
    failedAlready = true;
    return error;
  });
  return { worker: started, close, failed };
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Pull webhook deliveries from Pub/Sub (published by `serve --bus pubsub`), map them to records, store and publish them')
    .option('--data <dir>', "data directory (the worker's SQLite database and secret key)", envDefault('GWI_DATA_DIR') ?? './data')
    .option('--connections <file>', 'connections file (YAML, ${ENV} expanded): the same as the receivers', envDefault('GWI_CONNECTIONS'))
    .option('--subscription-prefix <p>', 'prefix of the subscription and dead-letter topic names (one per worker pool)', envDefault('GWI_SUBSCRIPTION_PREFIX') ?? '')
    .option('--max-attempts <n>', 'delivery attempts before the dead-letter topic (5..100)', envDefault('GWI_MAX_ATTEMPTS') ?? '5')
    .option('--retention-days <n>', "keep the worker's copies of deliveries this many days for dedupe, whatever their status (0: forever; default 7)", envDefault('GWI_RETENTION_DAYS'))
    .option('--bus-project <id>', 'Google Cloud project (default GWI_PUBSUB_PROJECT)')
    .option('--bodies <dir>', 'directory of the bodies over ~9.5 MB, shared with the receivers (default GWI_BODIES_DIR, else <data>/bodies)')
    .option('--no-create-topics', 'do not check or create the records topics (publish-only accounts; also GWI_PUBSUB_CREATE_TOPICS=false)')
    .option('--manifests <paths>', 'your own manifests besides the bundled ones: comma-separated YAML files, or a folder holding only manifests', envDefault('GWI_MANIFESTS'))
    .action((args: WorkerArgs) => runUntilSignal('worker', () => runWorker(args)));
}
