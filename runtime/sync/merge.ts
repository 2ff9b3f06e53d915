/**
 * Run `work(item)` for the items of `source`, at most `concurrency` at a time, and yield their
 * outputs as they come. Outputs of one item keep their order. Back-pressure: a worker waits until
 * its output is taken before producing more, so at most `concurrency` outputs are ever buffered
 * and memory stays flat however large the stream. The first error stops every worker and is
 * rethrown after the outputs already produced.
 */
export async function* mergeBounded<T, R>(source: AsyncIterable<T>, concurrency: number, work: (item: T) => AsyncIterable<R>): AsyncGenerator<R> {
  const items = source[Symbol.asyncIterator]();
  const queue: R[] = [];
  let wakeConsumer: (() => void) | undefined;
  const spaceWaiters: Array<() => void> = [];
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let active = 0;

  const wake = () => {
    const resolve = wakeConsumer;
    wakeConsumer = undefined;
    resolve?.();
  };
  // Pulls from the shared source are serialised: async iterators must not be called concurrently.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<T>> => {
    const next = pulling.then(() => items.next());
    pulling = next.catch(() => undefined);
    return next;
  };

  const worker = async () => {
    try {
      for (;;) {
        if (stopped) return;
        const next = await pull();
        if (next.done || stopped) return;
        for await (const output of work(next.value)) {
          while (queue.length >= concurrency && !stopped) await new Promise<void>((resolve) => spaceWaiters.push(resolve));
          if (stopped) return;
          queue.push(output);
          wake();
        }
      }
    } catch (error) {
      if (!failure) failure = { error };
      stopped = true;
      for (const resolve of spaceWaiters.splice(0)) resolve();
    } finally {
      active--;
      wake();
    }
  };

  active = Math.max(1, concurrency);
  const workers = Array.from({ length: active }, () => worker());
  try {
    for (;;) {
      while (queue.length > 0) {
        const output = queue.shift() as R;
        spaceWaiters.shift()?.();
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
    for (const resolve of spaceWaiters.splice(0)) resolve();
    await Promise.allSettled(workers);
    await items.return?.();
  }
}
