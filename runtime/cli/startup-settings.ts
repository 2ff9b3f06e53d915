import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConnectorError, isConnectorError } from '../errors/index.js';

/**
 * Start-up settings shared by `serve` and `worker`, checked before anything is opened so that a bad
 * value stops the command with one line naming the flag and its variable, never a stack or a hang.
 */

/**
 * An environment variable used as a flag's default. Empty counts as unset (documented in
 * docs/service.md): `PORT=` in a compose file must not mean "any free port", nor `GWI_DATA_DIR=` "here".
 */
export function envDefault(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** `"--port (PORT)"`: errors name the flag and the variable, since either may have given the value. */
export const flagName = (flag: string, envName: string): string => `${flag} (${envName})`;

const RETENTION = flagName('--retention-days', 'GWI_RETENTION_DAYS');

/** `--retention-days` (serve and worker) in milliseconds: a number of days, 0 or more (0 keeps everything). */
export function parseRetentionDays(days: string): number {
  const n = days.trim() === '' ? NaN : Number(days);
  if (!Number.isFinite(n) || n < 0) {
    throw new ConnectorError('CONFIG_INVALID', `${RETENTION} must be a number of days (0 or more), got ${JSON.stringify(days)}`, { hint: 'For example --retention-days 7; 0 keeps deliveries forever; leave it out for 7.' });
  }
  return n * 24 * 3_600_000;
}

const DATA = flagName('--data', 'GWI_DATA_DIR');
const DATA_HINT = 'Give a writable directory (created if missing), e.g. --data ./data.';

const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in REASONS) return `${REASONS[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * `--data`: created if missing, and refused unless it is a writable directory whose `gwi.db` (read
 * by the service and the worker) is absent or a file. Returns the absolute path.
 */
export function prepareDataDir(raw: string): string {
  if (raw.trim() === '') throw new ConnectorError('CONFIG_INVALID', `${DATA} is empty`, { hint: DATA_HINT });
  const dir = resolve(raw);
  const refuse = (why: string, cause?: unknown) =>
    new ConnectorError('CONFIG_INVALID', `${DATA} ${dir} cannot be used as the data directory: ${why}`, { hint: DATA_HINT, ...(cause ? { cause } : {}) });
  try {
    // Only its owner may enter a directory made here: it holds delivery bodies and records.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw refuse(reason(error), error);
  }
  const db = statSync(join(dir, 'gwi.db'), { throwIfNoEntry: false });
  if (db && !db.isFile()) throw refuse(`${join(dir, 'gwi.db')} is a directory, not the database file: move it away or give another directory`);
  return dir;
}

/**
 * What opening the store threw, as a ConnectorError naming `--data` and the database file. SQLite's
 * own errors (a file it cannot open) carry no path of ours; the store's refusal of a gwi.db that is
 * not ours names the file, and the flag that chose it is added here.
 */
export function explainStoreError(error: unknown, dataDir: string): unknown {
  if (isConnectorError(error) && error.code === 'STORE_FOREIGN') return new ConnectorError('STORE_FOREIGN', `${DATA}: ${error.message}`, { ...(error.hint ? { hint: error.hint } : {}), cause: error });
  const code = (error as { code?: unknown } | null)?.code;
  if (isConnectorError(error) || typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  const file = join(dataDir, 'gwi.db');
  return new ConnectorError('STORE_UNAVAILABLE', `${DATA}: cannot open the database ${file}: ${reason(error)} (${code})`, {
    hint: `${DATA_HINT} Its gwi.db must be a gwi-connectors database or absent.`,
    cause: error,
  });
}
