import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Lifecycle of the real Google Cloud Pub/Sub emulator for tests (never a mock).
 *
 * `gcloud beta emulators pubsub start` is a Python launcher that forks a Java server; stopping the
 * launcher alone leaves Java running. So the emulator is spawned detached, in its own process group,
 * and `stop()` signals the whole group (`process.kill(-pid)`) and waits until no member is left.
 */
export interface PubSubEmulator {
  /** `127.0.0.1:<port>`, the value for PUBSUB_EMULATOR_HOST. */
  host: string;
  stop(): Promise<void>;
}

export const SKIP_ENV = 'GWI_SKIP_PUBSUB';

/** True when the developer opted out of Pub/Sub tests explicitly (`GWI_SKIP_PUBSUB=1`). */
export function pubsubTestsSkipped(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SKIP_ENV] === '1';
}

/** Points `@google-cloud/pubsub` clients created in this process at the emulator. */
export function useEmulatorEnv(host: string): void {
  process.env['PUBSUB_EMULATOR_HOST'] = host;
  // Without this the Google auth library probes the GCE metadata server and stalls.
  process.env['METADATA_SERVER_DETECTION'] = 'none';
}

export async function startPubSubEmulator(options: { readyTimeoutMs?: number } = {}): Promise<PubSubEmulator> {
  assertGcloudPresent();
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gwi-pubsub-emulator-'));
  const child = spawn('gcloud', ['beta', 'emulators', 'pubsub', 'start', `--host-port=${host}`, `--data-dir=${dataDir}`, '--quiet'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('Could not spawn `gcloud beta emulators pubsub start`.');
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // If the test process dies without calling stop() (a failed hook, a killed worker), do not leave a
  // Java server behind: an 'exit' hook covers normal exits, a detached watchdog covers signals.
  const onExit = () => killGroup(pid, 'SIGKILL');
  process.once('exit', onExit);
  startWatchdog(pid);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    killGroup(pid, 'SIGTERM');
    if (!(await groupGone(pid, 5_000))) {
      killGroup(pid, 'SIGKILL');
      await groupGone(pid, 5_000);
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitReady(host, child, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- emulator output ---\n${output}`);
  }
  return { host, stop };
}

function assertGcloudPresent(): void {
  const probe = spawnSync('gcloud', ['--version'], { stdio: 'ignore', timeout: 30_000 });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'The Pub/Sub tests need the real emulator: `gcloud` (Google Cloud CLI with the pubsub-emulator component and Java 17) ' +
        `was not found or failed to run. Install it (gcloud components install pubsub-emulator), or set ${SKIP_ENV}=1 to skip these tests knowingly.`,
    );
  }
}

async function waitReady(host: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`The Pub/Sub emulator exited (code ${exited}) before it was ready on ${host}.`);
    try {
      const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`The Pub/Sub emulator was not ready on ${host} within ${timeoutMs} ms.`);
}

/** A tiny detached process that kills the emulator's group once this process is gone. */
function startWatchdog(groupId: number): void {
  const script = `
    const [parent, group] = process.argv.slice(1).map(Number);
    setInterval(() => {
      try { process.kill(-group, 0); } catch { process.exit(0); }
      try { process.kill(parent, 0); } catch { try { process.kill(-group, 'SIGKILL'); } catch {} process.exit(0); }
    }, 500);`;
  spawn(process.execPath, ['-e', script, String(process.pid), String(groupId)], { detached: true, stdio: 'ignore' }).unref();
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

async function groupGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(-pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
