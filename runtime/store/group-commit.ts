export interface GroupCommitter<T, R> {
  submit(item: T): Promise<R>;
  /** Write whatever is queued now (used at shutdown). */
  flush(): void;
}

/**
 * Group commit: writes submitted in the same turn of the event loop go to `writeAll` together, which
 * commits them as one transaction, so one WAL fsync (synchronous=FULL) makes a whole batch durable.
 * Each promise resolves only after `writeAll` returned, i.e. after the data is on disk; if it throws,
 * every write in the batch rejects.
 */
export function createGroupCommitter<T, R>(writeAll: (items: readonly T[]) => R[], maxBatch = 2000): GroupCommitter<T, R> {
  let queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      let results: R[];
      try {
        results = writeAll(batch.map((entry) => entry.item));
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
