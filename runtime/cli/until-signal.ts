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

/** What runUntilSignal needs of the process (tests pass their own). */
export interface SignalHost {
  on(signal: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
  exitCode?: number | string | null | undefined;
  stderr: { write(text: string): unknown };
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Runs a long-lived command (serve, worker) until SIGTERM or SIGINT, then closes it gracefully and
 * exits 0 (1 if closing failed), or until it fails by itself (`failed`), then closes it and exits 1.
 * A start-up failure is printed in one line with exit code 1.
 *
 * The handlers are in place before start-up begins and stay for the whole shutdown: a signal during
 * start-up stops the command once it has started (instead of killing it half-opened; a second one
 * exits at once), and a signal repeated while it shuts down is said in a line instead of killing it
 * (the shutdown is bounded).
 */
export async function runUntilSignal(command: string, start: () => Promise<Running>, host: SignalHost = process): Promise<void> {
  let running: Running | undefined;
  let stopping: Promise<void> | undefined;
  let requested: NodeJS.Signals | undefined;
  const say = (text: string) => host.stderr.write(`gwi-connectors ${command}: ${text}\n`);
  const stop = (code: 0 | 1) =>
    (stopping ??= running!.close().then(
      () => host.exit(code),
      (error: unknown) => {
        host.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        host.exit(1);
      },
    ));
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested && !running) {
      // Still starting (it may wait on a slow Pub/Sub): nothing to finish yet, and no deadline bounds it.
      say(`${signal} again during start-up: exiting now`);
      host.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      return;
    }
    if (stopping || requested) {
      say(`${signal} again: still shutting down (in-flight requests and syncs get at most their deadlines); SIGKILL stops it at once`);
      return;
    }
    requested = signal;
    if (running) void stop(0);
    else say(`${signal} during start-up: stopping as soon as it has started`);
  };
  for (const signal of SIGNALS) host.on(signal, onSignal);
  try {
    running = await start();
  } catch (error) {
    host.stderr.write(`${startupFailureText(command, error)}\n`);
    host.exitCode = 1;
    // The commands close what they opened before rethrowing, so the process ends by itself. Should
    // something still hold the event loop (a client library's socket), a failed start must not hang:
    // an unref'd timer fires only if the loop is still alive then.
    setTimeout(() => host.exit(1), EXIT_GRACE_MS).unref();
    for (const signal of SIGNALS) host.off(signal, onSignal);
    return;
  }
  if (requested) {
    void stop(0);
    return;
  }
  // Without this, a command whose work ended by itself would leave an empty event loop and exit 0.
  void running.failed?.then(() => {
    host.exitCode = 1;
    void stop(1);
  });
}
