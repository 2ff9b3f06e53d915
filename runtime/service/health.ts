import type { HealthProbeResult } from '../health-check/index.js';
import type { QueueCounts, RunRow } from '../store/types.js';

export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface ConnectionHealthInput {
  id: string;
  connector: string;
  schedule: string | null;
  breaker: 'closed' | 'open' | 'half_open' | null;
  running: boolean;
  lastRun: RunRow | undefined;
  nextRunAt: Date | null;
  /** Its dead-lettered deliveries (waiting for a replay). */
  deadDeliveries: number;
  /** Requests left in the API's rate-limit window (from the manifest's remaining header), once known. */
  rateLimitRemaining?: number | null;
  /** The latest manifest `health_check` probe, if the manifest declares one. */
  probe?: HealthProbeResult | null;
  /** Why a stored connection is not running at all (CONNECTION_UNAVAILABLE); it is then `down`. */
  unavailable?: string;
}

export interface HealthReport {
  status: HealthStatus;
  store: 'ok' | 'down';
  /** The bus deliveries are published to; `down` while they cannot be (the last publish failed), with why. */
  bus: { kind: 'local' | 'pubsub'; status: 'ok' | 'down'; error: string | null };
  /**
   * The dispatcher that maps stored deliveries: `down` when it stopped by itself (deliveries are
   * still stored, none is mapped: the aggregate is degraded), `off` on a receiver without dispatch.
   */
  dispatcher: { status: 'ok' | 'down' | 'off'; error: string | null };
  /** Deliveries waiting and dead-lettered (Store.queueCounts); null when the store is down. */
  deliveries: QueueCounts | null;
  connectors: Record<string, { status: HealthStatus; connections: Record<string, ConnectionHealth> }>;
}

interface ConnectionHealth {
  status: HealthStatus;
  /** The engine's circuit breaker; null until the connection has made a request. */
  breaker: 'closed' | 'open' | 'half_open' | null;
  schedule: string | null;
  next_sync_at: string | null;
  syncing: boolean;
  /** Deliveries of this connection in the dead-letter state, until replayed. */
  dead_deliveries: number;
  /** Rate-limit headroom: requests left in the API's window, null until a response told. */
  rate_limit_remaining: number | null;
  /** The latest `health_check` probe of the API, null when none ran (or the manifest has none). */
  probe: HealthProbeResult | null;
  last_sync: { run_id: string; trigger: RunRow['trigger']; status: RunRow['status']; started_at: string; finished_at: string | null; records: number; error: string | null } | null;
  /** Why the connection is not running (its stored secrets cannot be opened: CONNECTION_UNAVAILABLE); null while it runs. */
  unavailable: string | null;
}

const worst = (statuses: HealthStatus[]): HealthStatus => (statuses.includes('down') ? 'down' : statuses.includes('degraded') ? 'degraded' : 'ok');

/**
 * A connection is `down` when it cannot run (unavailable), with an open breaker or when its API's `health_check` probe fails, `degraded` when its breaker is half open, its last
 * sync failed or it has dead-lettered deliveries (until they are replayed), else `ok`. A connector is
 * `down` when all its connections are, `degraded` when some are not ok. The aggregate is `down` only
 * when the store or the bus cannot be used (webhooks would get 503s), `degraded` when any connector is not ok:
 * one connection's trouble never marks the others.
 */
const connectionStatus = (c: ConnectionHealthInput): HealthStatus =>
  c.unavailable !== undefined || c.breaker === 'open' || c.probe?.status === 'down' ? 'down' : c.breaker === 'half_open' || c.lastRun?.status === 'failed' || c.deadDeliveries > 0 ? 'degraded' : 'ok';

export function buildHealth(input: {
  storeOk: boolean;
  bus: { kind: 'local' | 'pubsub'; failing: string | undefined };
  /** null: no dispatcher (a receiver without dispatch); else why it stopped, if it did. */
  dispatcher: { failing: string | undefined } | null;
  counts: QueueCounts | undefined;
  connectors: string[];
  connections: ConnectionHealthInput[];
}): HealthReport {
  const connectors: HealthReport['connectors'] = {};
  for (const name of input.connectors) connectors[name] = { status: 'ok', connections: {} };
  for (const c of input.connections) {
    const status = connectionStatus(c);
    const group = (connectors[c.connector] ??= { status: 'ok', connections: {} });
    group.connections[c.id] = {
      status, breaker: c.breaker, schedule: c.schedule, next_sync_at: c.nextRunAt?.toISOString() ?? null, syncing: c.running, dead_deliveries: c.deadDeliveries,
      rate_limit_remaining: c.rateLimitRemaining ?? null, probe: c.probe ?? null,
      last_sync: c.lastRun
        ? { run_id: c.lastRun.id, trigger: c.lastRun.trigger, status: c.lastRun.status, started_at: c.lastRun.started_at, finished_at: c.lastRun.finished_at, records: c.lastRun.records, error: c.lastRun.error }
        : null,
      unavailable: c.unavailable ?? null,
    };
  }
  for (const group of Object.values(connectors)) {
    const list = Object.values(group.connections).map((c) => c.status);
    // One connection down does not take its connector down while others work.
    group.status = list.length > 0 && list.every((s) => s === 'down') ? 'down' : list.some((s) => s !== 'ok') ? 'degraded' : 'ok';
  }
  const parts: HealthStatus[] = Object.values(connectors).map((g) => (g.status === 'down' ? 'degraded' : g.status));
  // Webhooks are still stored (a 2xx is still true), but nothing is mapped: degraded, not down.
  if (input.dispatcher?.failing !== undefined) parts.push('degraded');
  return {
    // Either refuses every webhook with 503.
    status: input.storeOk && input.bus.failing === undefined ? worst(parts) : 'down',
    store: input.storeOk ? 'ok' : 'down',
    bus: { kind: input.bus.kind, status: input.bus.failing === undefined ? 'ok' : 'down', error: input.bus.failing ?? null },
    dispatcher: input.dispatcher === null ? { status: 'off', error: null } : { status: input.dispatcher.failing === undefined ? 'ok' : 'down', error: input.dispatcher.failing ?? null },
    deliveries: input.counts ?? null,
    connectors,
  };
}
