import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createBus } from '../../bus/create-bus.js';
import { ConnectorError } from '../../errors/index.js';
import { createLogger } from '../../log/index.js';
import { buildApp } from '../../server/index.js';
import { createService, type Service } from '../../service/index.js';
import { withExtraManifests } from '../extra-manifests.js';
import { envDefault, explainStoreError, flagName, parseRetentionDays, prepareDataDir } from '../startup-settings.js';
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
  /** `--upload-buffer-mb`: memory for webhook bodies being received (HttpLimits.uploadBufferBytes). */
  uploadBufferMb?: string;
}

const UPLOAD_BUFFER = flagName('--upload-buffer-mb', 'GWI_UPLOAD_BUFFER_MB');

/** `--upload-buffer-mb` in bytes: a whole number of MiB, at least 1. */
function parseUploadBufferMb(raw: string): number {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 1)) {
    throw new ConnectorError('CONFIG_INVALID', `${UPLOAD_BUFFER} must be a whole number of MiB (1 or more), got ${JSON.stringify(raw)}`, {
      hint: 'For example --upload-buffer-mb 512; leave it out for 256. Each webhook body being received is held in memory up to its connector\'s limit (25 MiB by default).',
    });
  }
  return n * 1024 * 1024;
}

const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * The admin token: GWI_ADMIN_TOKEN, else `<data>/admin.token`, else a new one written there (0600)
 * and printed once, on the start that created it.
 */
function adminToken(dataDir: string, fromEnv: string | undefined): { token: string; created: boolean; file?: string } {
  if (fromEnv) return { token: fromEnv, created: false };
  const file = resolve(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) return { token: checkedAdminToken(readFileSync(file, 'utf8').trim(), file), created: false, file };
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, created: true, file };
}

/** The shortest admin token accepted: it guards every connection's config and every stored delivery. */
const MIN_ADMIN_TOKEN_LENGTH = 16;

/** The token, or CONFIG_INVALID naming where it came from when it is too short to guard the admin API. */
function checkedAdminToken(token: string, source: string): string {
  if (token.length >= MIN_ADMIN_TOKEN_LENGTH) return token;
  const fromFile = source !== 'GWI_ADMIN_TOKEN';
  throw new ConnectorError('CONFIG_INVALID', `the admin token in ${source} is ${token.length === 0 ? 'empty' : `${token.length} characters long`}; it must have at least ${MIN_ADMIN_TOKEN_LENGTH}`, {
    hint: fromFile
      ? `Delete ${source} to have a new token generated at the next start, or write a long random one into it (e.g. openssl rand -base64 24 > ${source}).`
      : 'Set GWI_ADMIN_TOKEN to a long random value, e.g. export GWI_ADMIN_TOKEN=$(openssl rand -base64 24), or unset it to have one generated in <data>/admin.token.',
  });
}

/**
 * The files of the data directory that other users of the machine can read or enter: it holds
 * delivery bodies, records and (sealed) secrets. A warning names them; nothing is changed.
 */
function openToOthers(dataDir: string): string[] {
  const open: string[] = [];
  for (const path of [dataDir, ...['gwi.db', 'secret.key', ADMIN_TOKEN_FILE].map((name) => join(dataDir, name))]) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat && (stat.mode & 0o077) !== 0) open.push(`${path} (mode ${(stat.mode & 0o777).toString(8)})`);
  }
  return open;
}

/**
 * The Authorization header of the start-up hint, as a shell reads it: the server's GWI_ADMIN_TOKEN,
 * or (when the token lives in the data dir, and the variable is unset) the file's content.
 */
function authorizationForShell(file: string | undefined): string {
  if (file === undefined) return '"Authorization: Bearer $GWI_ADMIN_TOKEN"';
  return `"Authorization: Bearer $(cat '${file.replaceAll("'", "'\\''")}')"`;
}

const PORT = flagName('--port', 'PORT');

function parsePort(raw: string): number {
  // Digits only: Number('') is 0 (a random port) and Number('0x50') is 80.
  const port = /^\d{1,5}$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new ConnectorError('CONFIG_INVALID', `${PORT} must be a port number from 0 to 65535, got ${JSON.stringify(raw)}`, { hint: 'For example --port 8080; 0 picks a free port.' });
  }
  return port;
}

const HOST = flagName('--host', 'HOST');
const unresolved = (_where: string, host: string): [string, string] => [`${HOST} ${host} is neither an IP address nor a name that resolves`, 'Give an address such as 127.0.0.1, or 0.0.0.0 for all.'];

/** Why `listen` failed, in terms of --host and --port (message, hint); other errors pass as they are. */
const LISTEN_ERRORS: Record<string, (where: string, host: string) => [string, string]> = {
  EADDRINUSE: (where) => [`${where} is already in use`, `Choose another ${PORT}, or stop what listens there.`],
  EACCES: (where) => [`${where}: not allowed to listen there`, `Ports below 1024 need privileges: choose ${PORT} 1024 or above.`],
  EADDRNOTAVAIL: (_where, host) => [`${HOST} ${host} is not an address of this machine`, 'Bind to one of its addresses, e.g. 127.0.0.1, or 0.0.0.0 for all.'],
  ENOTFOUND: unresolved,
  EAI_AGAIN: unresolved,
};

function explainListenError(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const explain = typeof code === 'string' ? LISTEN_ERRORS[code] : undefined;
  if (!explain) return error;
  const [message, hint] = explain(`${host}:${port}`, host);
  return new ConnectorError('CONFIG_INVALID', `${message} (${code as string})`, { hint, cause: error });
}

/** Binds host:port once and lets it go: EADDRINUSE, EACCES or an unknown host now, before anything is opened. Port 0 always binds. */
async function tryAddress(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** Start the service; resolves once listening, with a function that shuts it down gracefully. */
export async function serve(args: ServeArgs, env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; close(): Promise<void> }> {
  // Everything that can be checked without opening anything is checked first: a refused start-up
  // must leave no database, dispatcher thread or timer behind (the process would not exit).
  const port = parsePort(args.port);
  // Trimmed like the file's (HTTP clients cannot send leading or trailing spaces in a header value),
  // and checked before the data directory is made.
  const envToken = env['GWI_ADMIN_TOKEN']?.trim() || undefined;
  if (envToken) checkedAdminToken(envToken, 'GWI_ADMIN_TOKEN');
  const retention = args.retentionDays === undefined ? undefined : parseRetentionDays(args.retentionDays);
  const uploadBufferBytes = args.uploadBufferMb === undefined ? undefined : parseUploadBufferMb(args.uploadBufferMb);
  // The service reads an empty GWI_MAX_ATTEMPTS as unset; an empty flag given on purpose is a mistake.
  if (args.maxAttempts?.trim() === '') {
    throw new ConnectorError('CONFIG_INVALID', `${flagName('--max-attempts', 'GWI_MAX_ATTEMPTS')} is empty`, { hint: 'Leave it out for the default (5 attempts), or give e.g. --max-attempts 10.' });
  }
  const dataDir = prepareDataDir(args.data);
  let service: Service | undefined;
  const logger = createLogger({ secrets: () => service?.secretValues() ?? [] });
  const manifests = await withExtraManifests(args.manifests);
  const bus = await createBus({
    kind: args.bus, dataDir, env,
    ...(args.busProject ? { projectId: args.busProject } : {}),
    ...(args.bodies ? { bodiesDir: args.bodies } : {}),
    ...(args.createTopics === false ? { createTopics: false } : {}),
    // Without dispatch the workers' subscription is the only way to the mapping.
    ...(args.dispatch === false ? { requireSubscription: true } : {}),
  });
  // Before the service opens: it applies the connections file (stored connections replaced or
  // removed), which a start refused afterwards for the token or the address must not have done.
  // The address is tried by binding it once (a race with another process remains, but not the
  // common case of a port already taken).
  let admin: ReturnType<typeof adminToken>;
  try {
    admin = adminToken(dataDir, envToken);
  } catch (error) {
    await bus.close().catch(() => {});
    throw error;
  }
  const forgetNewToken = () => {
    // A token generated now was never printed: the next start makes (and prints) a new one.
    if (admin.created) rmSync(join(dataDir, ADMIN_TOKEN_FILE), { force: true });
  };
  try {
    await tryAddress(args.host, port);
  } catch (error) {
    await bus.close().catch(() => {});
    forgetNewToken();
    throw explainListenError(error, args.host, port);
  }
  try {
    service = await createService({
      dataDir,
      ...(manifests ? { manifests } : {}),
      ...(args.dispatch === false ? { dispatch: false } : {}),
      ...(retention === undefined ? {} : { retentionMs: retention }),
      bus,
      logger,
      env: args.maxAttempts === undefined ? env : { ...env, GWI_MAX_ATTEMPTS: args.maxAttempts },
      ...(args.connections ? { connectionsFile: resolve(args.connections) } : {}),
    });
  } catch (error) {
    await bus.close().catch(() => {});
    forgetNewToken();
    throw explainStoreError(error, dataDir);
  }
  const running = service;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    // Large bodies go with the deliveries: kept as long as done deliveries are, then deleted.
    const pruneBodies = bus.bodyStore?.prune?.bind(bus.bodyStore);
    if (pruneBodies) running.retention.alsoPrune(pruneBodies);
    app = await buildApp({ service: running, adminToken: admin.token, logger, ...(uploadBufferBytes === undefined ? {} : { limits: { uploadBufferBytes } }) });
    await app.listen({ port, host: args.host });
  } catch (error) {
    // The service runs (database, dispatcher, timers): close it, or the failed start never exits.
    await app?.close().catch(() => {});
    await running.close().catch(() => {});
    forgetNewToken();
    throw explainListenError(error, args.host, port);
  }
  const listening = app;
  const { token, created, file: tokenFile } = admin;
  const address = listening.server.address();
  const url = `http://${args.host}:${typeof address === 'object' && address ? address.port : port}`;

  // Always printed, whatever LOG_LEVEL: people and scripts need the address (port 0 picks a free one).
  process.stderr.write(`gwi-connectors listening on ${url}\n`);
  if (created) {
    // Printed once, on the start that generated it; later starts read it from the data dir.
    process.stderr.write(`\nAdmin token (saved in ${join(dataDir, ADMIN_TOKEN_FILE)}; set GWI_ADMIN_TOKEN to choose your own):\n  ${token}\n\n`);
  }
  const connections = running.listConnections();
  logger.info({ url, data: dataDir, bus: running.bus.kind, connectors: running.connectors().length, connections: connections.length }, 'gwi-connectors serving');
  const open = openToOthers(dataDir);
  if (open.length > 0) {
    logger.warn({ files: open }, `other users of this machine can read the data directory (delivery bodies, records): chmod 700 ${dataDir} and chmod 600 the files listed`);
  }
  if (connections.length === 0) {
    logger.info(
      `no connections yet: add one with --connections FILE (see docs/service.md) or, with your values for <token>, owner/repo and <secret>: curl -X POST ${url}/api/connections -H ${authorizationForShell(tokenFile)} -H "Content-Type: application/json" -d '{"id":"acme-github","connector":"github","config":{"token":"<token>","repositories":["owner/repo"],"webhook_secret":"<secret>"}}'`,
    );
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down: refusing new requests, finishing in-flight ones');
      // Stops accepting and waits for in-flight requests, at most buildApp's closeGraceMs for one
      // still being received (a stalled upload) and twice that for any (runtime/server/close-deadline.ts).
      // Meanwhile no sync starts and those running are aborted: none spends the API's rate limit
      // for a run that shutdown would cut off anyway.
      await Promise.all([listening.close(), running.stopWork()]);
      await running.close(); // dispatcher, bus, then the database
      logger.info('stopped');
    })());
  return { url, close };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the service: webhooks in, records out, scheduled syncs, admin API, /health and /metrics')
    .option('--port <n>', 'port to listen on (0: a free one)', envDefault('PORT') ?? '8080')
    .option('--host <h>', 'address to bind', envDefault('HOST') ?? '127.0.0.1')
    .option('--data <dir>', 'data directory (SQLite database, secret key, admin token)', envDefault('GWI_DATA_DIR') ?? './data')
    .option('--connections <file>', 'connections file (YAML, ${ENV} expanded)', envDefault('GWI_CONNECTIONS'))
    .option('--bus <kind>', 'local (SQLite only) or pubsub (also publish to Google Cloud Pub/Sub)', envDefault('GWI_BUS') ?? 'local')
    .option('--bus-project <id>', 'Google Cloud project for --bus pubsub (default GWI_PUBSUB_PROJECT)')
    .option('--bodies <dir>', 'with --bus pubsub: directory for bodies over ~9.5 MB, shared with the workers (default GWI_BODIES_DIR, else <data>/bodies)')
    .option('--no-create-topics', 'with --bus pubsub: do not check or create topics (publish-only accounts; also GWI_PUBSUB_CREATE_TOPICS=false)')
    .option('--retention-days <n>', 'keep done deliveries (for dedupe and inspection) and finished sync runs this many days (0: forever; default 7)', envDefault('GWI_RETENTION_DAYS'))
    .option('--max-attempts <n>', 'attempts before a delivery goes dead (1..100; default GWI_MAX_ATTEMPTS, else 5)')
    .option('--no-dispatch', 'with --bus pubsub: only receive and publish; `gwi-connectors worker` processes the deliveries')
    .option('--upload-buffer-mb <n>', 'memory for webhook bodies being received at once, in MiB; past it new ones get 503 SERVER_BUSY (default 256)', envDefault('GWI_UPLOAD_BUFFER_MB'))
    .option('--manifests <paths>', 'your own manifests besides the bundled ones: comma-separated YAML files, or a folder holding only manifests', envDefault('GWI_MANIFESTS'))
    .action((args: ServeArgs) => runUntilSignal('serve', () => serve(args)));
}
