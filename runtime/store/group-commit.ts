import type { Database } from 'better-sqlite3';

export interface GroupCommitter<T, R> {
  submit(item: T): Promise<R>;
  /** Write whatever is queued now (used at shutdown). */
  flush(): void;
}

/**
 * Group commit: writes submitted in the same turn of the event loop share one transaction, so one
 * WAL fsync (synchronous=FULL) makes a whole batch durable. Each promise resolves only after COMMIT
 * returned, i.e. after the data is on disk; if the transaction fails, every write in it rejects.
 */
export function createGroupCommitter<T, R>(db: Database, write: (item: T) => R, maxBatch = 2000): GroupCommitter<T, R> {
  let queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  let scheduled = false;
  const runAll = db.transaction((items: readonly T[]) => items.map(write));

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      let results: R[];
      try {
        results = runAll(batch.map((entry) => entry.item));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
        continue;
      }
      batch.forEach((entry, i) => entry.resolve(results[i] as R));
    }
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          // setImmediate runs after pending I/O callbacks: requests parsed in this tick join the batch.
          setImmediate(flush);
        }
      });
    },
    flush,
  };
}
