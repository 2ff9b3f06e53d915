import { ConnectorError, type ConnectorErrorOptions, type ErrorCode } from '../errors/index.js';
import type { FailureTypeNode } from './schema.js';

/** Where a failed request went. `url` is already redacted: secret query values are masked. */
export interface HttpErrorTarget {
  method: string;
  url: string;
}

/**
 * The API answered with a status we do not accept (HTTP_STATUS), or with 401/403 that a fresh
 * credential did not cure (AUTH_INVALID_CREDENTIALS), or kept failing until retries ran out
 * (HTTP_RETRIES_EXHAUSTED).
 */
export class HttpStatusError extends ConnectorError {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  /** What an `on_response` rule with action fail declared (`failure_type`); undefined: as the code says. */
  readonly failureType: FailureTypeNode | undefined;

  constructor(
    code: Extract<ErrorCode, 'HTTP_STATUS' | 'AUTH_INVALID_CREDENTIALS' | 'HTTP_RETRIES_EXHAUSTED'>,
    message: string,
    target: HttpErrorTarget & { status: number },
    options: ConnectorErrorOptions & { failureType?: FailureTypeNode } = {},
  ) {
    const { failureType, ...rest } = options;
    super(code, message, { ...rest, context: { ...rest.context, status: target.status, method: target.method, url: target.url } });
    this.status = target.status;
    this.method = target.method;
    this.url = target.url;
    this.failureType = failureType;
  }
}

/** The API's rate limit was hit and waiting for it would exceed what `retry` allows. */
export class RateLimitedError extends ConnectorError {
  /** How long the API asked us to wait, when it said so. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, retryAfterMs: number | undefined, options: ConnectorErrorOptions = {}) {
    super('RATE_LIMITED', message, { ...options, context: { ...options.context, retryAfterMs } });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The circuit breaker is open: requests fail fast until the next probe. */
export class CircuitOpenError extends ConnectorError {
  readonly nextProbeInMs: number;

  constructor(message: string, nextProbeInMs: number, options: ConnectorErrorOptions = {}) {
    super('CIRCUIT_OPEN', message, options);
    this.nextProbeInMs = nextProbeInMs;
  }
}

export function isHttpStatusError(error: unknown): error is HttpStatusError {
  return error instanceof HttpStatusError;
}

export function isRateLimitedError(error: unknown): error is RateLimitedError {
  return error instanceof RateLimitedError;
}

export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return error instanceof CircuitOpenError;
}
