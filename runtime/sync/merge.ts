/**
 * Run `work(item)` for the items of `source`, at most `concurrency` at a time, and yield their
 * outputs as they come. Outputs of one item keep their order. Back-pressure: a worker hands over
 * one output and waits until the consumer has taken it before producing the next, so at most one
 * output per worker is ever buffered and memory stays flat however large the stream. The first
 * error stops every worker and is rethrown after the outputs already produced.
 */
export async function* mergeBounded<T, R>(source: AsyncIterable<T>, concurrency: number, work: (item: T) => AsyncIterable<R>): AsyncGenerator<R> {
  const items = source[Symbol.asyncIterator]();
  const queue: Array<{ output: R; taken: () => void }> = [];
  let wakeConsumer: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  const handedOver = new Set<() => void>();

  const wake = () => {
    const resolve = wakeConsumer;
    wakeConsumer = undefined;
    resolve?.();
  };
  const releaseAll = () => {
    for (const taken of handedOver) taken();
    handedOver.clear();
  };
  // Pulls from the shared source are serialised: async iterators must not be called concurrently.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<T>> => {
    const next = pulling.then(() => items.next());
    pulling = next.catch(() => undefined);
    return next;
  };

  let active = Math.max(1, concurrency);
  const worker = async () => {
    try {
      for (;;) {
        if (stopped) return;
        const next = await pull();
        if (next.done || stopped) return;
        for await (const output of work(next.value)) {
          if (stopped) return;
          await new Promise<void>((resolve) => {
            const taken = () => {
              handedOver.delete(taken);
              resolve();
            };
            handedOver.add(taken);
            queue.push({ output, taken });
            wake();
          });
        }
      }
    } catch (error) {
      if (!failure) failure = { error };
      stopped = true;
      releaseAll();
    } finally {
      active--;
      wake();
    }
  };

  const workers = Array.from({ length: active }, () => worker());
  try {
    for (;;) {
      while (queue.length > 0) {
        const { output, taken } = queue.shift()!;
        taken();
        yield output;
      }
      if (failure) throw failure.error;
      if (active === 0) break;
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve;
        if (queue.length > 0 || active === 0 || failure) wake();
      });
    }
  } finally {
    // The consumer stopped early (or failed): let the workers wind down.
    stopped = true;
    releaseAll();
    await Promise.allSettled(workers);
    await items.return?.();
  }
}
