import { isConnectorError, type ErrorCode } from '../errors/index.js';
import { isHttpStatusError } from '../http/index.js';
import type { AirbyteMessage, StreamStatus } from '../protocol/messages.js';

type FailureType = 'system_error' | 'config_error' | 'transient_error';

/** Fixing these needs the user (credential, config, manifest, input files). */
const CONFIG_CODES = /^(AUTH_|CONFIG_|MANIFEST_|STATE_INVALID|CATALOG_INVALID|CUSTOM_NOT_FOUND)/;
/** These may pass on their own: a later run can succeed. */
const TRANSIENT_CODES = new Set<ErrorCode>(['RATE_LIMITED', 'HTTP_TIMEOUT', 'HTTP_NETWORK', 'HTTP_RETRIES_EXHAUSTED', 'CIRCUIT_OPEN']);

export function failureType(error: unknown): FailureType {
  if (!isConnectorError(error)) return 'system_error';
  // An `on_response` rule with action fail may say what kind of failure its answer means.
  if (isHttpStatusError(error) && error.failureType) return `${error.failureType}_error`;
  if (CONFIG_CODES.test(error.code)) return 'config_error';
  if (TRANSIENT_CODES.has(error.code)) return 'transient_error';
  return 'system_error';
}

/** The one-line message users see: the error's own format (place, message, hint, code). */
export function errorMessage(error: unknown): string {
  if (isConnectorError(error)) return error.format();
  return error instanceof Error ? error.message : String(error);
}

export function errorTrace(error: unknown, now: number, stream?: string): AirbyteMessage {
  return {
    type: 'TRACE',
    trace: {
      type: 'ERROR',
      emitted_at: now,
      error: {
        message: errorMessage(error),
        internal_message: isConnectorError(error) ? error.code : error instanceof Error ? error.name : 'Error',
        failure_type: failureType(error),
        ...(error instanceof Error && !isConnectorError(error) && error.stack ? { stack_trace: error.stack } : {}),
        ...(stream ? { stream_descriptor: { name: stream } } : {}),
      },
    },
  };
}

export function statusTrace(stream: string, status: StreamStatus, now: number): AirbyteMessage {
  return { type: 'TRACE', trace: { type: 'STREAM_STATUS', emitted_at: now, stream_status: { stream_descriptor: { name: stream }, status } } };
}

export function stateMessage(stream: string, state: Record<string, unknown>, recordCount: number): AirbyteMessage {
  return {
    type: 'STATE',
    state: { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: state }, sourceStats: { recordCount } },
  };
}

export function logMessage(level: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG', message: string): AirbyteMessage {
  return { type: 'LOG', log: { level, message } };
}
