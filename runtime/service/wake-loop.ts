export interface WakeLoop {
  /** True from start() until stop(): a pass may check it to end early. */
  readonly running: boolean;
  start(): void;
  /**
   * Run a pass now rather than after the wait, `delayMs` from now (0: at once). Wake-ups coalesce:
   * until the next pass has run, further ones do nothing, so a burst costs one pass.
   */
  wake(delayMs?: number): void;
  /** Stop waiting and wait for the pass in progress. */
  stop(): Promise<void>;
}

/**
 * The background loop of the dispatcher and the republisher: run `pass`, wait the milliseconds it
 * returns (an unref'd timer: a resting loop never keeps the process alive) unless woken, repeat
 * until stopped. A wake-up during a pass runs the next pass without waiting.
 */
export function createWakeLoop(pass: () => Promise<number>): WakeLoop {
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let woken = false;

  async function run(): Promise<void> {
    while (running) {
      const wait = await pass();
      if (!running) break;
      if (woken) { woken = false; continue; }
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        timer = setTimeout(resolve, wait);
        timer.unref?.();
      });
      wakeUp = undefined;
    }
  }

  return {
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    wake(delayMs = 0) {
      if (woken) return;
      woken = true;
      if (delayMs === 0) wakeUp?.();
      else setTimeout(() => wakeUp?.(), delayMs).unref?.();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      wakeUp?.();
      await loop;
    },
  };
}
