import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { createSecretBox } from '../crypto/index.js';
import { writesThroughPort } from './inbox-worker.js';
import { createSqliteStore } from './sqlite-store.js';

/**
 * A dispatcher thread started again connects a new port to the inbox writer while the old one's
 * writes may still be queued: both number their requests from 1, so an answer on the wrong port
 * would settle the new thread's request before its write. Each port gets its own answers.
 */
it('answers each dispatcher port its own writes when a new one connects while the writer is busy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwi-port-'));
  const file = join(dir, 'gwi.db');
  const store = createSqliteStore({ file, secretBox: createSecretBox(dir, { GWI_SECRET_KEY: 'a'.repeat(64) }) });
  try {
    await store.opened();
    const inserted = await Promise.all(['a1', 'b1'].map((id) => store.insertDelivery({ connector: 'github', connection: 'acme', deliveryId: id, event: 'push', headers: {}, body: Buffer.from('{}'), contentType: 'application/json', receivedAt: 1 })));
    const fail = (i: number, error: string) => [{ seq: inserted[i]!.seq, replays: null, done: false as const, error, nextAttemptAt: 5 }];
    const oldPort = writesThroughPort(store.inboxPort!()!);
    // Another connection holds the write lock: the writer waits in the old port's write.
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    const answered: string[] = [];
    const a1 = oldPort.settle(fail(0, 'A1')).then(() => answered.push(`A1: ${store.getDelivery(inserted[0]!.seq)?.error}`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const newPort = writesThroughPort(store.inboxPort!()!);
    const b1 = newPort.settle(fail(1, 'B1')).then(() => answered.push(`B1: ${store.getDelivery(inserted[1]!.seq)?.error}`));
    blocker.exec('COMMIT');
    blocker.close();
    await Promise.all([a1, b1]);
    // Each answered after its own write, on its own port.
    expect(answered.sort()).toEqual(['A1: A1', 'B1: B1']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
