export { createService, type Service, type ServiceOptions, type PublicConnection } from './service.js';
export { createDispatcher, type Dispatcher, type DispatcherOptions, type DispatchTarget } from './dispatcher.js';
export { createSyncRunner, type SyncRunner } from './sync-runner.js';
export { readConnectionsFile, type ConnectionInput } from './connections-file.js';
export type { IngestReply } from './ingest.js';
export type { HealthReport, HealthStatus } from './health.js';
export type { ServiceMetrics } from './metrics.js';
