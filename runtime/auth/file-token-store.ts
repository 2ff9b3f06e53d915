import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConnectorError } from '../errors/index.js';
import type { StoredToken, TokenStore } from './types.js';

/**
 * Tokens in one JSON file (`{ "<key>": { access_token, refresh_token, expires_at } }`) for the CLI.
 * Written atomically (temp file + rename) with mode 0600; saves are serialised within the process.
 */
export function createFileTokenStore(path: string): TokenStore {
  let queue: Promise<unknown> = Promise.resolve();

  async function readAll(): Promise<Record<string, StoredToken>> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ConnectorError('STORE_UNAVAILABLE', `cannot read the token file ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return text.trim() === '' ? {} : (JSON.parse(text) as Record<string, StoredToken>);
    } catch (error) {
      throw new ConnectorError('STORE_UNAVAILABLE', `the token file ${path} is not valid JSON`, { hint: 'Delete it to authorise again.', cause: error });
    }
  }

  return {
    async load(key) {
      await queue;
      return (await readAll())[key];
    },
    save(key, token) {
      const run = queue.then(async () => {
        const all = await readAll();
        all[key] = token;
        await mkdir(dirname(path), { recursive: true });
        const temp = `${path}.${process.pid}.tmp`;
        await writeFile(temp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
        await rename(temp, path);
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
