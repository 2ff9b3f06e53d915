import type { Command } from 'commander';
import { pino } from 'pino';
import { createFileTokenStore } from '../../auth/index.js';
import { readJsonFile, resolveConfig } from '../../config/index.js';
import { normaliseCatalogInput, normaliseStateInput, type AirbyteMessage, type ConfiguredCatalog, type StreamState } from '../../protocol/index.js';
import { createConnector, type BatchingConnector, type ConnectorOptions } from '../../sync/index.js';
import { createProgress } from '../progress.js';
import { errorLines, resolveManifestArg } from '../resolve-manifest.js';

export interface ConnectorArgs {
  config: string;
  tokens?: string;
}

/** Manifest + config file (with `${ENV}` references) → a connector; logs go to stderr. */
export async function openConnector(manifestArg: string, args: ConnectorArgs, extra: Partial<ConnectorOptions> = {}): Promise<BatchingConnector> {
  const manifest = await resolveManifestArg(manifestArg);
  const config = resolveConfig(readJsonFile(args.config, 'config file'), manifest, { file: args.config });
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { connector: manifest.node.name } }, pino.destination({ dest: 2, sync: false }));
  return createConnector({
    manifest,
    config,
    logger,
    connectionId: 'cli',
    ...(args.tokens ? { tokenStore: createFileTokenStore(args.tokens) } : {}),
    ...extra,
  });
}

/**
 * Protocol lines on stdout, batched (one write per ~64 KB) and waiting for `drain` so a slow
 * consumer slows the read down instead of filling memory.
 */
export function createLineWriter(out: NodeJS.WritableStream = process.stdout) {
  let buffer = '';
  // `read … | head`: the reader went away. Stop quietly instead of crashing on EPIPE.
  if (out.listenerCount('error') === 0) {
    out.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const flush = async () => {
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  return {
    async write(message: AirbyteMessage) {
      buffer += `${JSON.stringify(message)}\n`;
      if (buffer.length >= 65536) await flush();
    },
    /** Lines already serialised (a page of RECORDs from `readPages`): one append, no per-line await. */
    async writeLines(lines: string) {
      buffer = buffer === '' ? lines : buffer + lines;
      if (buffer.length >= 65536) await flush();
    },
    flush,
  };
}

/** A failure before any protocol output: problems on stderr, one TRACE error on stdout. */
export async function reportSetupError(error: unknown): Promise<number> {
  const lines = errorLines(error);
  for (const line of lines) process.stderr.write(`${line}\n`);
  const writer = createLineWriter();
  await writer.write({ type: 'TRACE', trace: { type: 'ERROR', emitted_at: Date.now(), error: { message: lines[0] ?? 'error', failure_type: 'config_error' } } });
  await writer.flush();
  return 1;
}

/** A state file: an array of STATE messages or of their `state` objects (see normaliseStateInput). */
export function readStateFile(path: string): StreamState[] {
  return normaliseStateInput(readJsonFile(path, 'state'), `state ${path}`);
}

export async function runRead(manifestArg: string, options: ConnectorArgs & { catalog?: string; state?: string }): Promise<number> {
  const progress = createProgress();
  let connector: BatchingConnector;
  let catalog: ConfiguredCatalog | undefined;
  let state: StreamState[] | undefined;
  try {
    connector = await openConnector(manifestArg, options, { onPage: (stream, records) => progress.onPage(stream, records) });
    catalog = options.catalog ? normaliseCatalogInput(readJsonFile(options.catalog, 'catalog'), `catalog ${options.catalog}`) : undefined;
    state = options.state ? readStateFile(options.state) : undefined;
  } catch (error) {
    progress.stop();
    return reportSetupError(error);
  }
  const writer = createLineWriter();
  let failed = false;
  try {
    // A page at a time: its RECORD lines are serialised once by the connector and written with one
    // append; a STATE arrives in a later batch, so it is written after the records it covers.
    for await (const batch of connector.readPages(catalog, state)) {
      for (const message of batch.messages) {
        if (message.type !== 'TRACE') continue;
        progress.onMessage(message);
        if (message.trace.type === 'ERROR') {
          failed = true;
          process.stderr.write(`${message.trace.error.message}\n`);
        }
      }
      await writer.writeLines(batch.lines);
    }
  } finally {
    await writer.flush();
    progress.stop();
    await connector.close();
  }
  return failed ? 1 : 0;
}

export function registerRead(program: Command): void {
  program
    .command('read')
    .description('read records: Airbyte protocol v0 JSON lines (RECORD, STATE, TRACE) on stdout, logs on stderr')
    .argument('<manifest>', 'a manifest file or the name of a bundled manifest')
    .requiredOption('--config <file>', 'connection config JSON (values may reference the environment: "${GITHUB_TOKEN}")')
    .option('--catalog <file>', 'configured catalog JSON: which streams, in which sync mode')
    .option('--state <file>', 'state JSON: the STATE messages of the previous read (or their `state` objects)')
    .option('--tokens <file>', 'where rotated OAuth tokens are kept between runs')
    .action(async (manifest: string, options: ConnectorArgs & { catalog?: string; state?: string }) => {
      process.exitCode = await runRead(manifest, options);
    });
}
