import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileBodyStore } from './file-body-store.js';

const DAY = 24 * 3_600_000;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gwi-file-bodies-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Set a file's modification time to `ms` (epoch). */
const age = (path: string, ms: number) => utimesSync(path, new Date(ms), new Date(ms));

describe('createFileBodyStore', () => {
  // Durability against a power cut (fsync of the file and of the directory) cannot be shown by a
  // test; what can: once put resolves, the whole body is in place under its final name, alone.
  it('put() resolves with the complete body on disk under its final name, no temp file left', async () => {
    const store = createFileBodyStore(join(dir, 'bodies')); // created on first put
    const body = randomBytes(3 * 1024 * 1024 + 5);
    const ref = await store.put('github/acme/hook-1:d1', body);
    expect(ref).toMatch(/^file:[0-9a-f]{64}$/);
    expect(readdirSync(join(dir, 'bodies'))).toEqual([ref.slice('file:'.length)]);
    expect(readFileSync(join(dir, 'bodies', ref.slice('file:'.length))).equals(body)).toBe(true);
    expect((await store.get(ref)).equals(body)).toBe(true);
    // Full payloads: readable by the owner and its group (workers sharing the mount), not by others.
    expect(statSync(join(dir, 'bodies')).mode & 0o777).toBe(0o750);
    expect(statSync(join(dir, 'bodies', ref.slice('file:'.length))).mode & 0o777).toBe(0o640);
  });

  it('put() of the same key twice at once leaves one complete body', async () => {
    const store = createFileBodyStore(dir);
    const body = randomBytes(1024 * 1024);
    const [a, b] = await Promise.all([store.put('k', body), store.put('k', body)]);
    expect(a).toBe(b);
    expect(readdirSync(dir)).toHaveLength(1);
    expect((await store.get(a)).equals(body)).toBe(true);
  });

  it('get() refuses references it did not make', async () => {
    await expect(createFileBodyStore(dir).get('file:../../etc/passwd')).rejects.toMatchObject({ code: 'BUS_CONFIG' });
  });
});

describe('FileBodyStore.prune(before)', () => {
  it('deletes bodies (and crashed temp files) last written before `before`, keeps newer ones and files it does not own', async () => {
    const store = createFileBodyStore(dir);
    const now = Date.now();
    const old = (await store.put('old', Buffer.from('old'))).slice('file:'.length);
    const recent = (await store.put('recent', Buffer.from('recent'))).slice('file:'.length);
    const staleTmp = `${'a'.repeat(64)}.123.0badcafe.tmp`;
    writeFileSync(join(dir, staleTmp), 'half a body');
    writeFileSync(join(dir, 'README'), 'not a body');
    age(join(dir, old), now - 8 * DAY);
    age(join(dir, staleTmp), now - 8 * DAY);
    age(join(dir, 'README'), now - 30 * DAY);
    age(join(dir, recent), now - 1 * DAY);

    expect(await store.prune(now - 7 * DAY)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['README', recent].sort());
    expect(existsSync(join(dir, old))).toBe(false);
    await expect(store.get(`file:${recent}`)).resolves.toEqual(Buffer.from('recent'));
  });

  it('returns 0 when no large body was ever stored (no directory yet)', async () => {
    expect(await createFileBodyStore(join(dir, 'never-created')).prune(Date.now())).toBe(0);
  });
});

describe('body directory errors name the directory, --bodies / GWI_BODIES_DIR and the fix', () => {
  /** A path that cannot be a directory: its parent is a file (like /etc/hosts/bodies). */
  const underAFile = () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    return join(dir, 'a-file', 'bodies');
  };
  const explained = (dirName: string) => ({
    code: 'BUS_CONFIG',
    message: expect.stringContaining(dirName),
    hint: expect.stringMatching(/(?=.*--bodies \/ GWI_BODIES_DIR)(?=.*same body directory)/),
  });

  it('put() under a file: BUS_CONFIG saying a part of the path is a file, not a raw ENOTDIR', async () => {
    const bad = underAFile();
    const error = await createFileBodyStore(bad).put('k', Buffer.from('body')).catch((e: unknown) => e);
    expect(error).toMatchObject(explained(bad));
    expect((error as Error).message).toMatch(/^Cannot write large bodies to the body directory .*not a directory \(ENOTDIR\)/);
  });

  it('get() of a body not in the directory (the worker looks elsewhere than the receivers)', async () => {
    const receiver = createFileBodyStore(join(dir, 'receiver'));
    const ref = await receiver.put('k', Buffer.from('body'));
    const workerDir = join(dir, 'worker');
    const error = await createFileBodyStore(workerDir).get(ref).catch((e: unknown) => e);
    expect(error).toMatchObject(explained(workerDir));
    expect((error as Error).message).toContain(ref);
    expect((error as Error).message).not.toMatch(/ENOENT/);
  });

  it("check('write') and check('read') refuse a path that cannot be a directory; accept (and create) a usable one", async () => {
    const bad = underAFile();
    await expect(createFileBodyStore(bad).check('write')).rejects.toMatchObject(explained(bad));
    await expect(createFileBodyStore(bad).check('read')).rejects.toMatchObject({ code: 'BUS_CONFIG', message: expect.stringMatching(/^Cannot read the body directory/) });
    const good = join(dir, 'new', 'bodies');
    await createFileBodyStore(good).check('write');
    expect(readdirSync(good)).toEqual([]); // the probe is gone
    await createFileBodyStore(join(dir, 'other')).check('read');
    expect(existsSync(join(dir, 'other'))).toBe(true);
  });
});
