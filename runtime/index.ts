/**
 * The public API of @gwi/connectors, listed by hand: what a service, a custom component or a third
 * party may import. Everything else is internal and may change.
 */

// Manifests: load, validate, the language's types.
export { loadManifest, parseManifest, ManifestValidationError, isManifestValidationError, bundledManifestNames } from './manifest/index.js';
export type { LoadedManifest, ManifestNode, StreamNode } from './manifest/index.js';

// Connection config: `${ENV}` expansion, validation against the spec, secrets.
export { resolveConfig, readJsonFile, secretValues } from './config/index.js';
export { createRedactor, redactDeep } from './secrets/index.js';

// The engine: one connector instance = manifest + config.
export { createConnector } from './sync/index.js';
export type { Connector, ConnectorHealth, ConnectorOptions, Logger } from './sync/index.js';
export type * from './protocol/messages.js';

// Building blocks a custom component reuses (same auth, requester and records as YAML connectors).
export { compileExpression, compileTemplate } from './expressions/index.js';
export type { Expression, Scope, Template } from './expressions/index.js';
export { createAuthenticator, createMemoryTokenStore, createFileTokenStore } from './auth/index.js';
export type { Authenticator, StoredToken, TokenStore } from './auth/index.js';
export { buildRequest, createRequester, isCircuitOpenError, isHttpStatusError, isRateLimitedError } from './http/index.js';
export type { HttpResponse, PreparedRequest, Requester } from './http/index.js';
export { createRecordPipeline } from './records/index.js';
export type { DataRecord, RecordPipeline } from './records/index.js';

// Webhooks, framework-free.
export { verifySignature, parseDelivery, mapDelivery } from './webhooks/index.js';
export type { VerifyResult } from './webhooks/index.js';

// The service and its parts.
export { createService } from './service/index.js';
export type { Service, ServiceOptions } from './service/index.js';
export { buildApp } from './server/index.js';
export { createSqliteStore } from './store/index.js';
export { createBus, createLocalBus, createPubSubBus, subscribeDeliveries } from './bus/index.js';
export type { Bus } from './bus/index.js';
export { startWorker } from './worker/index.js';
export type { Worker, WorkerOptions } from './worker/index.js';

// Errors: one class with a code from the catalogue.
export { ConnectorError, isConnectorError, ERROR_CODES } from './errors/index.js';
export type { ErrorCode, SourceLocation } from './errors/index.js';
