import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createBus } from '../../bus/create-bus.js';
import { ConnectorError } from '../../errors/index.js';
import { createLogger } from '../../log/index.js';
import { buildApp } from '../../server/index.js';
import { createService, type Service } from '../../service/index.js';
import { withExtraManifests } from '../extra-manifests.js';
import { runUntilSignal } from '../until-signal.js';

export interface ServeArgs {
  port: string;
  host: string;
  data: string;
  connections?: string;
  bus: string;
  busProject?: string;
  /** `--bodies`: large-body directory shared with the workers (see resolveBodiesDir). */
  bodies?: string;
  /** commander's `--no-create-topics`: false when given. */
  createTopics?: boolean;
  manifests?: string;
  /** commander's `--no-dispatch`: false when given. */
  dispatch?: boolean;
  retentionDays?: string;
  /** `--max-attempts`: checked where GWI_MAX_ATTEMPTS is (createService), so it is passed on as that. */
  maxAttempts?: string;
}

const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * The admin token: GWI_ADMIN_TOKEN, else `<data>/admin.token`, else a new one written there (0600)
 * and printed once, on the start that created it.
 */
function adminToken(dataDir: string, env: NodeJS.ProcessEnv): { token: string; created: boolean } {
  const fromEnv = env['GWI_ADMIN_TOKEN'];
  if (fromEnv) return { token: fromEnv, created: false };
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), created: false };
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, created: true };
}

function retentionMs(days: string): number {
  const n = Number(days);
  if (!Number.isFinite(n) || n < 0) {
    throw new ConnectorError('CONFIG_INVALID', `--retention-days must be a number of days (0 or more), got ${days}`, { hint: 'For example --retention-days 7; 0 keeps deliveries forever.' });
  }
  return n * 24 * 3_600_000;
}

/** Start the service; resolves once listening, with a function that shuts it down gracefully. */
export async function serve(args: ServeArgs, env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; close(): Promise<void> }> {
  const dataDir = resolve(args.data);
  mkdirSync(dataDir, { recursive: true });
  let service: Service | undefined;
  const logger = createLogger({ secrets: () => service?.secretValues() ?? [] });
  const manifests = await withExtraManifests(args.manifests);
  const bus = await createBus({
    kind: args.bus, dataDir, env,
    ...(args.busProject ? { projectId: args.busProject } : {}),
    ...(args.bodies ? { bodiesDir: args.bodies } : {}),
    ...(args.createTopics === false ? { createTopics: false } : {}),
  });
  service = await createService({
    dataDir,
    ...(manifests ? { manifests } : {}),
    ...(args.dispatch === false ? { dispatch: false } : {}),
    ...(args.retentionDays === undefined ? {} : { retentionMs: retentionMs(args.retentionDays) }),
    bus,
    logger,
    env: args.maxAttempts === undefined ? env : { ...env, GWI_MAX_ATTEMPTS: args.maxAttempts },
    ...(args.connections ? { connectionsFile: resolve(args.connections) } : {}),
  });
  // Large bodies go with the deliveries: kept as long as done deliveries are, then deleted.
  const pruneBodies = bus.bodyStore?.prune?.bind(bus.bodyStore);
  if (pruneBodies) service.retention.alsoPrune(pruneBodies);
  const { token, created } = adminToken(dataDir, env);
  const app = await buildApp({ service, adminToken: token, logger });
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConnectorError('CONFIG_INVALID', `--port must be a port number, got ${args.port}`);
  await app.listen({ port, host: args.host });
  const address = app.server.address();
  const url = `http://${args.host}:${typeof address === 'object' && address ? address.port : port}`;

  // Always printed, whatever LOG_LEVEL: people and scripts need the address (port 0 picks a free one).
  process.stderr.write(`gwi-connectors listening on ${url}\n`);
  if (created) {
    // Printed once, on the start that generated it; later starts read it from the data dir.
    process.stderr.write(`\nAdmin token (saved in ${join(dataDir, ADMIN_TOKEN_FILE)}; set GWI_ADMIN_TOKEN to choose your own):\n  ${token}\n\n`);
  }
  const connections = service.listConnections();
  logger.info({ url, data: dataDir, bus: service.bus.kind, connectors: service.connectors().length, connections: connections.length }, 'gwi-connectors serving');
  if (connections.length === 0) {
    logger.info(
      `no connections yet: add one with --connections FILE (see docs/service.md) or: curl -X POST ${url}/api/connections -H "Authorization: Bearer $GWI_ADMIN_TOKEN" -H "Content-Type: application/json" -d '{"id":"acme-github","connector":"github","config":{...}}'`,
    );
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down: refusing new requests, finishing in-flight ones');
      await app.close(); // stops accepting, waits for in-flight requests
      await service.close(); // schedules, dispatcher, syncs, bus, then the database
      logger.info('stopped');
    })());
  return { url, close };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the service: webhooks in, records out, scheduled syncs, admin API, /health and /metrics')
    .option('--port <n>', 'port to listen on', process.env['PORT'] ?? '8080')
    .option('--host <h>', 'address to bind', process.env['HOST'] ?? '127.0.0.1')
    .option('--data <dir>', 'data directory (SQLite database, secret key, admin token)', process.env['GWI_DATA_DIR'] ?? './data')
    .option('--connections <file>', 'connections file (YAML, ${ENV} expanded)', process.env['GWI_CONNECTIONS'])
    .option('--bus <kind>', 'local (SQLite only) or pubsub (also publish to Google Cloud Pub/Sub)', process.env['GWI_BUS'] ?? 'local')
    .option('--bus-project <id>', 'Google Cloud project for --bus pubsub (default GWI_PUBSUB_PROJECT)')
    .option('--bodies <dir>', 'with --bus pubsub: directory for bodies over ~9.5 MB, shared with the workers (default GWI_BODIES_DIR, else <data>/bodies)')
    .option('--no-create-topics', 'with --bus pubsub: do not check or create topics (publish-only accounts; also GWI_PUBSUB_CREATE_TOPICS=false)')
    .option('--retention-days <n>', 'keep done deliveries this many days for dedupe and inspection (0: forever; default 7)', process.env['GWI_RETENTION_DAYS'])
    .option('--max-attempts <n>', 'attempts before a delivery goes dead (1..100; default GWI_MAX_ATTEMPTS, else 5)')
    .option('--no-dispatch', 'with --bus pubsub: only receive and publish; `gwi-connectors worker` processes the deliveries')
    .option('--manifests <paths>', 'your own manifests besides the bundled ones: comma-separated YAML files, or a folder holding only manifests', process.env['GWI_MANIFESTS'])
    .action((args: ServeArgs) => runUntilSignal(() => serve(args)));
}
