export { ConnectorError, errorLogFields, formatLocation, isConnectorError, relocated } from './connector-error.js';
export type { ConnectorErrorOptions, SourceLocation } from './connector-error.js';
export { ERROR_CODES } from './codes.js';
export { createFailureLatch, type FailureLatch } from './failure-latch.js';
export type { ErrorCode } from './codes.js';
