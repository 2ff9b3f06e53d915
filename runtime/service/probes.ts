import type { HealthProbeResult } from '../health-check/index.js';
import type { Connector } from '../sync/index.js';

export interface ProbeTarget {
  id: string;
  open(): Promise<Connector>;
}

export interface ProbeLoop {
  start(): void;
  /** Probe every target once now (the interval's work; tests call it directly). */
  runOnce(): Promise<void>;
  latest(id: string): HealthProbeResult | undefined;
  stop(): void;
}

/**
 * Runs each connection's `health_check` on an interval and keeps the latest result for /health.
 * Probes run one connection at a time: they are cheap, and a slow API must not pile up probes.
 */
export function createProbeLoop(options: { intervalMs: number; targets: () => ProbeTarget[] }): ProbeLoop {
  const results = new Map<string, HealthProbeResult>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const runOnce = () =>
    (running ??= (async () => {
      const targets = options.targets();
      for (const [id] of results) if (!targets.some((t) => t.id === id)) results.delete(id);
      for (const target of targets) {
        try {
          const result = await (await target.open()).probe();
          if (result) results.set(target.id, result);
        } catch {
          // The connector could not be opened; its syncs report why. The probe has nothing to add.
        }
      }
    })().finally(() => {
      running = undefined;
    }));

  return {
    start() {
      if (timer || options.intervalMs <= 0) return;
      void runOnce();
      timer = setInterval(() => void runOnce(), options.intervalMs);
      timer.unref();
    },
    runOnce,
    latest: (id) => results.get(id),
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
