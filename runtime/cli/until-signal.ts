import { isConnectorError } from '../errors/index.js';

/** How long a failed start-up may take to wind down before the process is made to exit. */
const EXIT_GRACE_MS = 2_000;

/**
 * The one line a start-up failure prints: a ConnectorError in its `file:line:col: message hint
 * [CODE]` form; anything else as `gwi-connectors <command>: <message>`, with the stack only at
 * LOG_LEVEL=debug or trace (a stack tells a user nothing they can act on).
 */
export function startupFailureText(command: string, error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (isConnectorError(error)) return error.format();
  const message = error instanceof Error ? error.message : String(error);
  const debug = env['LOG_LEVEL'] === 'debug' || env['LOG_LEVEL'] === 'trace';
  const stack = debug && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  return `gwi-connectors ${command}: ${message}${stack}`;
}

/** A started long-lived command. */
export interface Running {
  close(): Promise<void>;
  /**
   * Resolves if the command stopped working by itself (a worker whose Pub/Sub subscription was
   * deleted): it has logged why; the process then closes it and exits 1, so a supervisor restarts it.
   */
  failed?: Promise<unknown>;
}

/**
 * Runs a long-lived command (serve, worker) until SIGTERM or SIGINT, then closes it gracefully and
 * exits 0 (1 if closing failed), or until it fails by itself (`failed`), then closes it and exits 1.
 * A start-up failure is printed in one line with exit code 1.
 */
export async function runUntilSignal(command: string, start: () => Promise<Running>): Promise<void> {
  try {
    const running = await start();
    const stop = (code: 0 | 1) =>
      running.close().then(
        () => process.exit(code),
        (error: unknown) => {
          process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exit(1);
        },
      );
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(0));
    // Without this, a command whose work ended by itself would leave an empty event loop and exit 0.
    void running.failed?.then(() => {
      process.exitCode = 1;
      void stop(1);
    });
  } catch (error) {
    process.stderr.write(`${startupFailureText(command, error)}\n`);
    process.exitCode = 1;
    // The commands close what they opened before rethrowing, so the process ends by itself. Should
    // something still hold the event loop (a client library's socket), a failed start must not hang:
    // an unref'd timer fires only if the loop is still alive then.
    setTimeout(() => process.exit(1), EXIT_GRACE_MS).unref();
  }
}
