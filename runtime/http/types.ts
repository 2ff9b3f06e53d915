import type { Scope } from '../expressions/index.js';

/** A request ready to send: templates rendered, auth not yet applied. */
export interface PreparedRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute URL (url_base + path), without the query string of `params`. */
  url: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  /** JSON body (serialised by the requester). */
  body?: unknown;
  /** A label for logs and errors, e.g. "pull_requests" or "check". */
  label?: string;
  /** A GraphQL request: `errors` in a 200 response are errors (rate-limit errors are retried). */
  graphql?: boolean;
  /** Per-request timeout override (default: requester.timeout_ms). */
  timeoutMs?: number;
  /** The scope the request was rendered with: `on_response` `message` templates may use it (e.g. `partition`). */
  scope?: Scope;
}

export interface HttpResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined for an empty body). */
  body: unknown;
  /** The URL that answered (after redirects). */
  url: string;
  /** True when an `on_response` rule said `ignore`: callers treat it as an empty page. */
  ignored: boolean;
}

/** Sends requests with auth, rate limit, circuit breaker, retries and response rules applied. */
export interface Requester {
  send(request: PreparedRequest): Promise<HttpResponse>;
  /** Circuit breaker state, for health reporting. */
  breakerState(): 'closed' | 'open' | 'half_open';
  /** Requests sent, retried, rate-limit waits: counters for progress and metrics. */
  stats(): RequesterStats;
  close(): Promise<void>;
}

export interface RequesterStats {
  requests: number;
  retries: number;
  rateLimitWaits: number;
  /** Last `remaining` value seen in the declared rate-limit header, if any. */
  rateLimitRemaining?: number;
}

/** Minimal structured logger (pino-compatible; same shape as the sync engine's). Never pass secrets. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
