/**
 * Runs tasks one after the other per key, tasks of different keys concurrently. The worker keys by
 * connection: Pub/Sub hands out ordered messages in order but does not wait for an async handler, so
 * without this two deliveries of one connection could be upserted out of order, and a redelivery
 * could race the first attempt of the same delivery.
 */
export interface SerialQueue {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Keys with queued or running tasks (for tests and shutdown logs). */
  size(): number;
}

export function createSerialQueue(): SerialQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, task) {
      const previous = tails.get(key) ?? Promise.resolve();
      const next = previous.then(task, task);
      const tail = next.catch(() => {});
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return next;
    },
    size: () => tails.size,
  };
}
