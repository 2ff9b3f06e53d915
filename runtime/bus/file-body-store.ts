import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ConnectorError } from '../errors/index.js';
import type { BodyStore } from './bus.js';

/**
 * A body store on a directory that receivers and workers share (one machine, or a network mount).
 * References are `file:<name>`; the name is a hash of the key, so any key is a safe file name.
 * Deployments across machines plug in their own store (e.g. a GCS bucket) with the same interface.
 */
export function createFileBodyStore(dir: string): BodyStore {
  const root = resolve(dir);
  return {
    async put(key, body) {
      const name = createHash('sha256').update(key).digest('hex');
      await mkdir(root, { recursive: true });
      const tmp = join(root, `${name}.${process.pid}.tmp`);
      await writeFile(tmp, body);
      await rename(tmp, join(root, name)); // atomic: a reader never sees half a body
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
  };
}
