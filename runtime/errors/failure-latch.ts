/**
 * The last failure of an operation that is tried again only when its caller tries again (an inbox
 * commit, a Pub/Sub publish), kept until one succeeds, or until a check of its own succeeds. The
 * check is started by reading the failure (/health), at most every `everyMs` and one at a time, so
 * that a part that has recovered says so without waiting for traffic a load balancer routing on
 * /health would no longer send. A failure recorded while a check runs is not cleared by it.
 */
export interface FailureLatch<F> {
  failed(failure: F): void;
  succeeded(): void;
  /** The failure kept, if any; starts a check when one is due. */
  current(): F | undefined;
}

export function createFailureLatch<F>(check: (failure: F) => Promise<unknown>, options: { everyMs?: number; canCheck?: () => boolean } = {}): FailureLatch<F> {
  const everyMs = options.everyMs ?? 2_000;
  let failure: F | undefined;
  let generation = 0;
  let checkedAt = -Infinity;
  let checking = false;
  function startCheck(failed: F): void {
    if (checking || Date.now() - checkedAt < everyMs || options.canCheck?.() === false) return;
    checking = true;
    checkedAt = Date.now();
    const before = generation;
    check(failed).then(
      () => { if (generation === before) failure = undefined; },
      () => undefined,
    ).finally(() => { checking = false; });
  }
  return {
    failed(next) {
      failure = next;
      generation++;
    },
    succeeded() {
      failure = undefined;
    },
    current() {
      if (failure !== undefined) startCheck(failure);
      return failure;
    },
  };
}
