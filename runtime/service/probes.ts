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
  /** Drops a connection's result; a probe of it still in flight (of its config before) is not kept either. */
  forget(id: string): void;
  /** Probes one connection now, once the loop has started (a connection added or changed later). */
  probeSoon(target: ProbeTarget): void;
  stop(): void;
}

/**
 * Runs each connection's `health_check` on an interval and keeps the latest result for /health.
 * Probes run one connection at a time: they are cheap, and a slow API must not pile up probes.
 */
export function createProbeLoop(options: { intervalMs: number; targets: () => ProbeTarget[] }): ProbeLoop {
  const results = new Map<string, HealthProbeResult>();
  // Counted up by forget(): a probe that began before keeps its result to itself.
  const generations = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function probe(target: ProbeTarget): Promise<void> {
    const generation = generations.get(target.id) ?? 0;
    try {
      const result = await (await target.open()).probe();
      if (result && (generations.get(target.id) ?? 0) === generation) results.set(target.id, result);
    } catch {
      // The connector could not be opened; its syncs report why. The probe has nothing to add.
    }
  }

  const runOnce = () =>
    (running ??= (async () => {
      const targets = options.targets();
      for (const [id] of results) if (!targets.some((t) => t.id === id)) results.delete(id);
      for (const target of targets) await probe(target);
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
    forget(id) {
      results.delete(id);
      generations.set(id, (generations.get(id) ?? 0) + 1);
    },
    probeSoon(target) {
      if (timer) void probe(target);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
