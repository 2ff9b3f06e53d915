import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectorError } from '../errors/index.js';

export const KEY_BYTES = 32;
export const KEY_FILE_NAME = 'secret.key';

/**
 * The 32-byte key: `GWI_SECRET_KEY` when set, otherwise `<dataDir>/secret.key` (created on first
 * start with mode 0600). The key itself never appears in an error message.
 */
export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv): Buffer {
  const fromEnv = env['GWI_SECRET_KEY'];
  if (fromEnv !== undefined && fromEnv !== '') return decodeKey(fromEnv.trim(), 'GWI_SECRET_KEY');
  return readOrCreateKeyFile(join(dataDir, KEY_FILE_NAME));
}

/** 64 hex characters or base64 (standard or url-safe) of exactly 32 bytes. */
export function decodeKey(text: string, source: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  throw new ConnectorError('SECRET_KEY_INVALID', `${source} must hold a 32-byte key as 64 hex characters or base64 (got ${text.length} characters that do not decode to 32 bytes).`, {
    hint: 'Generate one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64\'))"',
  });
}

function readOrCreateKeyFile(path: string): Buffer {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw keyFileError(path, error);
  }
  if (text !== undefined) return decodeKey(text.trim(), path);
  const key = randomBytes(KEY_BYTES);
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    // `wx` refuses to overwrite: if another process created the file meanwhile, read theirs.
    writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600); // the umask may have narrowed, never widened, but be explicit
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decodeKey(readFileSync(path, 'utf8').trim(), path);
    throw keyFileError(path, error);
  }
  return key;
}

function keyFileError(path: string, cause: unknown): ConnectorError {
  return new ConnectorError('SECRET_KEY_INVALID', `Cannot read or create the secret key file ${path}.`, {
    hint: 'Check the data directory permissions, or set GWI_SECRET_KEY.',
    cause,
  });
}
