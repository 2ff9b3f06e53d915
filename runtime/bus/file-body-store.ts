import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ConnectorError } from '../errors/index.js';
import type { BodyStore } from './bus.js';

/** A body file (`<sha256 hex>`) or a temp file a crash left behind (`<sha256 hex>.<pid>.<random>.tmp`). */
const OWN_FILE = /^[0-9a-f]{64}(\.\d+\.[0-9a-f]+\.tmp)?$/;

export interface FileBodyStore extends Required<BodyStore> {
  /** The absolute directory the bodies are in. */
  readonly dir: string;
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
      await mkdir(root, { recursive: true });
      // Unique per call: the same delivery may be published twice at once (a provider retry).
      const tmp = join(root, `${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      // The publish (and so the 2xx) waits for put: the body must be on disk, not in the page cache,
      // before the rename makes it visible, and the rename itself must be on disk before we return.
      const file = await open(tmp, 'w');
      try {
        await file.writeFile(body);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, join(root, name)); // atomic: a reader never sees half a body
      await syncDirectory(root);
      return `file:${name}`;
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
      return readFile(path);
    },
    async prune(before) {
      let names: string[];
      try {
        names = await readdir(root);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return 0; // no large body yet
        throw error;
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
