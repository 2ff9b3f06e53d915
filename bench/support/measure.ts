import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one measured child process cost. */
export interface ChildMeasurement {
  exitCode: number | null;
  wallMs: number;
  /** Peak resident set size (VmHWM / ru_maxrss), in bytes. */
  peakRssBytes: number;
  /** CPU time of the child (user + system), in ms; undefined when it could not be read. */
  cpuMs?: number;
  /** How the peak was measured: exact from `wait4` via /usr/bin/time, or sampled from /proc. */
  rssSource: 'time' | 'proc-poll';
  stderrTail: string;
}

export interface ChildSpec {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the child's stdout goes; /dev/null by default. */
  stdoutPath?: string;
}

const TIME_BIN = '/usr/bin/time';

/**
 * Run a child to completion and measure wall time, peak RSS and CPU time. Uses /usr/bin/time when
 * present (exact ru_maxrss of the child, reported by the kernel at exit); otherwise polls
 * /proc/<pid>/status VmHWM every 20 ms (VmHWM is itself a high-water mark, so sampling only misses
 * growth in the child's last few milliseconds).
 */
export async function measureChild(spec: ChildSpec): Promise<ChildMeasurement> {
  const useTime = existsSync(TIME_BIN);
  const scratch = mkdtempSync(join(tmpdir(), 'bench-measure-'));
  const timeOut = join(scratch, 'time.txt');
  const command = useTime ? TIME_BIN : spec.command;
  // %M: max RSS in KiB; %U/%S: user/system CPU seconds.
  const args = useTime ? ['-o', timeOut, '-f', '%M %U %S', spec.command, ...spec.args] : [...spec.args];
  const stdoutFd = openSync(spec.stdoutPath ?? '/dev/null', 'w');
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['ignore', stdoutFd, 'pipe'] });
  closeSync(stdoutFd);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  let polledHwmKb = 0;
  const poller = useTime
    ? undefined
    : setInterval(() => {
        polledHwmKb = Math.max(polledHwmKb, readVmHwmKb(child.pid) ?? 0);
      }, 20);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (poller) clearInterval(poller);
  let peakRssBytes = polledHwmKb * 1024;
  let cpuMs: number | undefined;
  if (useTime) {
    const line = readFileSync(timeOut, 'utf8').trim().split('\n').pop() ?? '';
    const [maxKb, user, sys] = line.split(/\s+/).map(Number);
    peakRssBytes = (maxKb ?? 0) * 1024;
    if (user !== undefined && sys !== undefined && !Number.isNaN(user + sys)) cpuMs = (user + sys) * 1000;
  }
  rmSync(scratch, { recursive: true, force: true });
  return { exitCode, wallMs, peakRssBytes, cpuMs, rssSource: useTime ? 'time' : 'proc-poll', stderrTail: stderr };
}

function readVmHwmKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // the process already exited
  }
}
