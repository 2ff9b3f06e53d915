/**
 * A virtual clock for the engine under test: `sleep` advances it instantly, so Retry-After waits,
 * backoffs and rate-limit pauses cost no wall time while still being accounted for.
 */
export interface VirtualClock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Total virtual time slept (ms). */
  slept(): number;
}

export function createVirtualClock(start = Date.now()): VirtualClock {
  let offset = 0;
  let slept = 0;
  return {
    now: () => new Date(start + offset + (Date.now() - start)),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        offset += Math.max(0, ms);
        slept += Math.max(0, ms);
        setImmediate(resolve);
      }),
    slept: () => slept,
  };
}
