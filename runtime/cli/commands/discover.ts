import type { Command } from 'commander';
import { createLineWriter, openConnector, reportSetupError, type ConnectorArgs } from './read.js';

/** `discover`: one CATALOG line (streams, supported sync modes, cursors, primary keys). */
export async function runDiscover(manifestArg: string, options: ConnectorArgs): Promise<number> {
  let connector;
  try {
    connector = await openConnector(manifestArg, options);
  } catch (error) {
    return reportSetupError(error);
  }
  const writer = createLineWriter();
  await writer.write(connector.discover());
  await writer.flush();
  await connector.close();
  return 0;
}

export function registerDiscover(program: Command): void {
  program
    .command('discover')
    .description('list the streams: a CATALOG message')
    .argument('<manifest>', 'a manifest file or the name of a bundled manifest')
    .requiredOption('--config <file>', 'connection config JSON (values may reference the environment)')
    .action(async (manifest: string, options: ConnectorArgs) => {
      process.exitCode = await runDiscover(manifest, options);
    });
}
