import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, type FileHandle, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ConnectorError } from '../errors/index.js';
import type { BodyStore } from './bus.js';

/** A body file (`<sha256 hex>`) or a temp file a crash left behind (`<sha256 hex>.<pid>.<random>.tmp`). */
const OWN_FILE = /^[0-9a-f]{64}(\.\d+\.[0-9a-f]+\.tmp)?$/;

export interface FileBodyStore extends Required<BodyStore> {
  /** The absolute directory the bodies are in. */
  readonly dir: string;
  /**
   * A start-up check: creates the directory if missing, then proves it can be written (`write`, a
   * receiver: a probe file is written, synced and removed) or read (`read`, a worker). Rejects with a
   * BUS_CONFIG ConnectorError naming the directory, `--bodies`/`GWI_BODIES_DIR` and the fix.
   */
  check(mode: 'read' | 'write'): Promise<void>;
}

/** Where the directory is set, for messages: the same for receivers and workers. */
const SETTING = '--bodies / GWI_BODIES_DIR';
const SHARE = `Receivers and workers must use the same body directory (the same ${SETTING} on both sides, e.g. a shared mount)`;

/** What an fs error code means for the body directory, in words. */
const FS_REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'a file of that name is in the way',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'it does not exist',
};

function fsReason(error: unknown): string {
  const code = errorCode(error);
  const reason = code ? FS_REASONS[code] : undefined;
  const raw = error instanceof Error ? error.message : String(error);
  return reason ? `${reason} (${code})` : raw;
}

/** A body that cannot be written: the directory is the problem, the fix is the setting. */
function writeError(root: string, error: unknown): ConnectorError {
  return new ConnectorError('BUS_CONFIG', `Cannot write large bodies to the body directory ${root}: ${fsReason(error)}.`, {
    hint: `Set ${SETTING} to a directory the receivers can create and write. ${SHARE}.`,
    context: { dir: root }, cause: error,
  });
}

function readError(root: string, error: unknown): ConnectorError {
  return new ConnectorError('BUS_CONFIG', `Cannot read the body directory ${root}: ${fsReason(error)}.`, {
    hint: `Set ${SETTING} to a directory the worker can read. ${SHARE}.`,
    context: { dir: root }, cause: error,
  });
}

/**
 * A body store on a directory that receivers and workers share (one machine, or a network mount).
 * References are `file:<name>`; the name is a hash of the key, so any key is a safe file name.
 * Deployments across machines plug in their own store (e.g. a GCS bucket) with the same interface.
 */
export function createFileBodyStore(dir: string): FileBodyStore {
  const root = resolve(dir);
  return {
    dir: root,
    async put(key, body) {
      const name = createHash('sha256').update(key).digest('hex');
      try {
        await writeDurably(root, name, body);
      } catch (error) {
        throw writeError(root, error);
      }
      return `file:${name}`;
    },
    async check(mode) {
      try {
        // Full payloads: the owner and its group (workers on a shared mount) only, not every local user.
  await mkdir(root, { recursive: true, mode: 0o750 });
      } catch (error) {
        throw mode === 'write' ? writeError(root, error) : readError(root, error);
      }
      if (mode === 'write') {
        // A real write (synced, renamed, removed), as put does: access() says nothing of a
        // read-only mount or a full disk. The name is a body's, so prune removes a leftover.
        const probe = createHash('sha256').update(`probe:${process.pid}:${randomBytes(8).toString('hex')}`).digest('hex');
        try {
          await writeDurably(root, probe, Buffer.from('gwi-connectors body directory check\n'));
          await unlink(join(root, probe));
        } catch (error) {
          throw writeError(root, error);
        }
        return;
      }
      try {
        if (!(await stat(root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
        await access(root, constants.R_OK | constants.X_OK);
        await readdir(root);
      } catch (error) {
        throw readError(root, error);
      }
    },
    async get(reference) {
      const name = /^file:([0-9a-f]{64})$/.exec(reference)?.[1];
      if (!name) {
        throw new ConnectorError('BUS_CONFIG', `Body reference "${reference}" was not made by a file body store.`, {
          hint: 'Workers and receivers must use the same kind of body store.',
        });
      }
      const path = join(root, name);
      if (!path.startsWith(root + sep)) throw new ConnectorError('BUS_CONFIG', 'Body reference escapes the store directory.');
      try {
        return await readFile(path);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw readError(root, error);
        throw new ConnectorError('BUS_CONFIG', `Body ${reference} is not in the body directory ${root} (no file ${name} there).`, {
          hint: `${SHARE}; the receivers write it there before they publish. It may also be older than the receivers' --retention-days and deleted.`,
          context: { dir: root }, cause: error,
        });
      }
    },
    async prune(before) {
      let names: string[];
      try {
        names = await readdir(root);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return 0; // no large body yet
        throw readError(root, error);
      }
      let removed = 0;
      // Only our own file names: the directory may be a shared mount with other things in it.
      for (const name of names.filter((n) => OWN_FILE.test(n))) {
        const path = join(root, name);
        try {
          if ((await stat(path)).mtimeMs >= before) continue;
          await unlink(path);
          removed += 1;
        } catch (error) {
          if (errorCode(error) !== 'ENOENT') throw error; // another receiver pruned it first
        }
      }
      return removed;
    },
  };
}

/** Writes `body` as `<root>/<name>`, on disk before it is visible under that name. */
async function writeDurably(root: string, name: string, body: Buffer): Promise<void> {
  // Full payloads: the owner and its group (workers on a shared mount) only, not every local user.
  await mkdir(root, { recursive: true, mode: 0o750 });
  // Unique per call: the same delivery may be published twice at once (a provider retry).
  const tmp = join(root, `${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // The publish (and so the 2xx) waits for put: the body must be on disk, not in the page cache,
  // before the rename makes it visible, and the rename itself must be on disk before we return.
  const file = await open(tmp, 'w', 0o640);
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(root, name)); // atomic: a reader never sees half a body
  await syncDirectory(root);
}

/** fsync a directory so a rename in it survives a power cut (Linux; other systems may refuse it). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
