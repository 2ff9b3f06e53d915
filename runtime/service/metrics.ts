import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** `handshake`: a provider's URL check (webhooks.handshakes), answered and not stored. */
export type IngestOutcome = 'accepted' | 'duplicate' | 'handshake' | 'unauthorized' | 'bad_request' | 'too_large' | 'not_found' | 'unavailable' | 'misconfigured';

/** The service's Prometheus metrics, on a registry of its own (several services may run in one process in tests). */
export interface ServiceMetrics {
  registry: Registry;
  deliveries: Counter<'connector' | 'outcome'>;
  ingestLatency: Histogram<'connector'>;
  dispatched: Counter<'connector' | 'result'>;
  queueDepth: Gauge<'status'>;
  syncRecords: Counter<'connection' | 'stream'>;
  syncRuns: Counter<'connection' | 'result'>;
  httpRetries: Counter<'connection'>;
  httpRefused: Counter<'code'>;
  breakerState: Gauge<'connection'>;
}

export interface MetricsSources {
  queueCounts(): Record<string, number>;
  /**
   * Per connection running now: its HTTP retries since the service started (across its connector
   * being rebuilt when the connection is posted again) and its breaker (null until it made a request).
   */
  connectorHealth(): Array<{ connection: string; retries: number; breaker: 'closed' | 'open' | 'half_open' | null }>;
}

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export function createMetrics(sources: MetricsSources): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    deliveries: new Counter({ name: 'gwi_webhook_deliveries_total', help: 'Webhook deliveries received, by outcome.', labelNames: ['connector', 'outcome'], registers: [registry] }),
    ingestLatency: new Histogram({
      name: 'gwi_webhook_ingest_seconds', help: 'Time from request body received to durable answer (accepted and duplicate deliveries).', labelNames: ['connector'], registers: [registry],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    dispatched: new Counter({ name: 'gwi_webhook_dispatch_total', help: 'Deliveries processed by the dispatcher, by result (done; ignored: done, its event mapped by no webhooks.events entry; retry; dead).', labelNames: ['connector', 'result'], registers: [registry] }),
    queueDepth: new Gauge({
      name: 'gwi_webhook_queue_depth', help: 'Deliveries in the inbox waiting (pending, failed) or dead-lettered (dead: needs a replay), by status.', labelNames: ['status'], registers: [registry],
      collect() {
        for (const [status, n] of Object.entries(sources.queueCounts())) this.set({ status }, n);
      },
    }),
    syncRecords: new Counter({ name: 'gwi_sync_records_total', help: 'Records written by syncs.', labelNames: ['connection', 'stream'], registers: [registry] }),
    syncRuns: new Counter({ name: 'gwi_sync_runs_total', help: 'Sync runs by result.', labelNames: ['connection', 'result'], registers: [registry] }),
    // Both read at each scrape from the connections running now; reset first, so a removed
    // connection's series goes away instead of repeating its last value for ever.
    httpRetries: new Counter({
      name: 'gwi_http_retries_total', help: 'HTTP retries made by the connection’s requester since the service started.', labelNames: ['connection'], registers: [registry],
      collect() {
        this.reset();
        for (const h of sources.connectorHealth()) this.inc({ connection: h.connection }, h.retries);
      },
    }),
    // Refusals made before a route saw the request: no connector is known, so not among the deliveries.
    httpRefused: new Counter({ name: 'gwi_http_refused_total', help: 'Requests the HTTP server refused before any route saw them (unparsable, headers too large, timed out), by error code.', labelNames: ['code'], registers: [registry] }),
    breakerState: new Gauge({
      name: 'gwi_circuit_breaker_state', help: 'Circuit breaker per connection: 0 closed, 1 half open, 2 open.', labelNames: ['connection'], registers: [registry],
      collect() {
        this.reset();
        for (const h of sources.connectorHealth()) if (h.breaker !== null) this.set({ connection: h.connection }, BREAKER_VALUE[h.breaker]);
      },
    }),
  };
}
