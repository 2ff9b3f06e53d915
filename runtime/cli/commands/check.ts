import type { Command } from 'commander';
import { createLineWriter, openConnector, reportSetupError, type ConnectorArgs } from './read.js';

/** `check`: one CONNECTION_STATUS line; exit 1 when it FAILED (the message names the credential to fix). */
export async function runCheck(manifestArg: string, options: ConnectorArgs): Promise<number> {
  let connector;
  try {
    connector = await openConnector(manifestArg, options);
  } catch (error) {
    return reportSetupError(error);
  }
  const status = await connector.check();
  await connector.close();
  const writer = createLineWriter();
  await writer.write(status);
  await writer.flush();
  if (status.type === 'CONNECTION_STATUS' && status.connectionStatus.status === 'FAILED') {
    process.stderr.write(`${status.connectionStatus.message ?? 'check failed'}\n`);
    return 1;
  }
  return 0;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('prove the connection works: a CONNECTION_STATUS message')
    .argument('<manifest>', 'a manifest file or the name of a bundled manifest')
    .requiredOption('--config <file>', 'connection config JSON (values may reference the environment)')
    .option('--tokens <file>', 'where rotated OAuth tokens are kept between runs')
    .action(async (manifest: string, options: ConnectorArgs) => {
      process.exitCode = await runCheck(manifest, options);
    });
}
