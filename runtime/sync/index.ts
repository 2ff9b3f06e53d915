export { createConnector } from './connector.js';
export { airbyteStream, planStreams, supportsIncremental } from './catalog.js';
export { failureType, errorTrace } from './messages.js';
export { mergeBounded } from './merge.js';
export type { BatchingConnector, Connector, ConnectorHealth, ConnectorOptions, Logger, MessageBatch } from './types.js';
export type { ParentCacheLimits } from './parent-cache.js';
