import { isConnectorError } from '../errors/index.js';

/**
 * Runs a long-lived command (serve, worker) until SIGTERM or SIGINT, then closes it gracefully and
 * exits 0 (1 if closing failed). A start-up failure is printed in its one-line form with exit code 1.
 */
export async function runUntilSignal(start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  try {
    const running = await start();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        running.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(1);
          },
        );
      });
    }
  } catch (error) {
    process.stderr.write(`${isConnectorError(error) ? error.format() : error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
