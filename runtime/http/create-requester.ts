import { Value } from '@sinclair/typebox/value';
import type { Authenticator } from '../auth/types.js';
import { ConnectorError } from '../errors/index.js';
import type { Scope } from '../expressions/index.js';
import { getBreaker } from './circuit-breaker.js';
import { HttpStatusError, RateLimitedError } from './errors.js';
import { bodyExcerpt, credentialAdvice, statusLine } from './messages.js';
import { getRateBudget, observeRateHeaders, resetWaitMs, resolveRateLimit, type RateBudget } from './rate-limit.js';
import { addedSecrets, displayUrl, scrub } from './redact.js';
import { createResponseClassifier, type Decision } from './response-rules.js';
import { backoffDelay, resolveRetryPolicy, type RetryPolicy } from './retry.js';
import { Requester as RequesterSchema, type RateLimitNode, type RequesterNode } from './schema.js';
import { sendOnce, TransportError, type RawResponse } from './transport.js';
import type { HttpResponse, Logger, PreparedRequest, Requester, RequesterStats } from './types.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface CreateRequesterOptions {
  requester: RequesterNode;
  auth: Authenticator;
  /** Names the connector in messages and keys the shared rate budget and breaker. */
  connectorName: string;
  /** Keys the per-connection rate budget and circuit breaker. */
  connectionId: string;
  /** Scope for `on_response` rules when a request carries none (config...). */
  scope: Scope;
  logger?: Logger;
  /** Injectable for tests: waits between attempts and proactive pauses go through it. */
  sleep?: Sleep;
  now?: () => Date;
  /** Uniform in [0, 1): the jitter source. */
  random?: () => number;
  signal?: AbortSignal;
}

/**
 * A guard against an API answering 429 with `Retry-After: 0` forever: rate-limited retries do not
 * spend `retry.attempts`, so without it only the total-wait cap would stop them.
 */
const MAX_RATE_LIMITED_RETRIES = 100;

/** What went wrong with one attempt that may be retried. */
type Failure =
  | { kind: 'transport'; error: TransportError }
  | { kind: 'retry' | 'rate_limited'; waitMs: number | undefined; raw: RawResponse };

interface Attempt {
  request: PreparedRequest;
  label: string;
  url: string;
  secrets: string[];
}

/**
 * Sends requests through, in order: proactive rate-limit pause → declared budget (p-throttle) →
 * auth → circuit breaker → one fetch attempt (transport.ts) → response rules and defaults → retry with backoff.
 */
export function createRequester(options: CreateRequesterOptions): Requester {
  const node = Value.Default(RequesterSchema, structuredClone(options.requester)) as RequesterNode;
  const policy = resolveRetryPolicy(node.retry);
  const classify = createResponseClassifier(node.on_response);
  const rateLimit = node.rate_limit && resolveRateLimit(node.rate_limit);
  const budget = rateLimit ? getRateBudget(rateLimit, options.connectorName, options.connectionId) : undefined;
  const breaker = getBreaker(node.circuit_breaker, options.connectorName, options.connectionId);
  const sleep = options.sleep ?? realSleep;
  const now = () => (options.now ? options.now().getTime() : Date.now());
  const random = options.random ?? Math.random;
  const { auth, connectorName: connector, signal, logger } = options;
  const stats: RequesterStats = { requests: 0, retries: 0, rateLimitWaits: 0 };

  async function send(request: PreparedRequest): Promise<HttpResponse> {
    const label = request.label ?? 'request';
    let failures = 0;
    let rateLimited = 0;
    let waited = 0;
    let reauthenticated = false;
    for (;;) {
      if (budget) waited += await pauseForBudget(budget, policy, waited, label);
      if (budget) await budget.acquire();
      const attempt = await authenticate(request, label);
      stats.requests++;
      let failure: Failure;
      try {
        const raw = await breaker.run(
          () => sendOnce(attempt.request, request.timeoutMs ?? node.timeout_ms, signal),
          (r) => r.status >= 500 && `HTTP ${statusLine(r.status, r.statusText)}`,
          request.url,
        );
        if (budget && rateLimit) {
          observeRateHeaders(budget, rateLimit, raw.headers, now());
          if (budget.remaining !== undefined) stats.rateLimitRemaining = budget.remaining;
        }
        const body = parseBody(raw.text);
        const decision = await classify({
          status: raw.status,
          headers: raw.headers,
          response: body.ok ? body.value : raw.text,
          graphql: request.graphql === true,
          now: now(),
          scope: request.scope ?? options.scope,
          ...(rateLimit?.remaining_header ? { remainingHeader: rateLimit.remaining_header.toLowerCase() } : {}),
        });
        if (decision.kind === 'auth' && !reauthenticated && (await auth.invalidate())) {
          reauthenticated = true; // one fresh credential per request; a second 401 is final
          continue;
        }
        const settled = settle(decision, raw, body, attempt);
        if (settled) return settled;
        failure = decision.kind === 'retry' || decision.kind === 'rate_limited' ? { kind: decision.kind, waitMs: decision.waitMs, raw } : unreachable(decision);
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        failure = { kind: 'transport', error };
      }

      let waitMs: number;
      if (failure.kind === 'rate_limited') {
        rateLimited++;
        if (rateLimited > MAX_RATE_LIMITED_RETRIES) throw await exhausted(failure, attempt, `${rateLimited} rate-limited answers`);
        const hinted = failure.waitMs ?? resetHeaderWait(rateLimit, failure.raw, now());
        waitMs = hinted !== undefined && hinted > 0 ? Math.min(hinted, policy.max_ms) : backoffDelay(policy, failures + rateLimited - 1, random);
        stats.rateLimitWaits++;
      } else {
        failures++;
        if (failures >= policy.attempts) throw await exhausted(failure, attempt, `${failures} attempts (retry.attempts)`);
        waitMs = failure.kind === 'retry' && failure.waitMs !== undefined ? Math.min(failure.waitMs, policy.max_ms) : backoffDelay(policy, failures - 1, random);
      }
      if (waited + waitMs > policy.max_total_wait_ms) {
        throw await exhausted(failure, attempt, `waiting another ${waitMs} ms would exceed retry.max_total_wait_ms (${policy.max_total_wait_ms} ms)`, waitMs);
      }
      waited += waitMs;
      stats.retries++;
      logger?.debug({ connector, label, url: attempt.url, reason: describe(failure), waitMs }, 'retrying request');
      await sleep(waitMs, signal);
    }
  }

  /** Wait out a pause the API's remaining/reset headers announced, within the total-wait cap. */
  async function pauseForBudget(shared: RateBudget, retry: RetryPolicy, waited: number, label: string): Promise<number> {
    const pauseMs = shared.pausedUntil - now();
    if (pauseMs <= 0) return 0;
    if (waited + pauseMs > retry.max_total_wait_ms) {
      throw new RateLimitedError(
        `${connector}: the API's rate limit budget is spent (${rateLimit?.remaining_header ?? 'remaining'} below ${rateLimit?.pause_below}); it resets in ${Math.ceil(pauseMs / 1000)}s, longer than retry.max_total_wait_ms (${retry.max_total_wait_ms} ms) allows for ${label}`,
        pauseMs,
        { hint: 'Run again after the reset, lower the request rate, or raise retry.max_total_wait_ms.' },
      );
    }
    stats.rateLimitWaits++;
    logger?.info({ connector, label, pauseMs }, 'rate limit nearly spent: pausing until reset');
    await sleep(pauseMs, signal);
    return pauseMs;
  }

  async function authenticate(request: PreparedRequest, label: string): Promise<Attempt> {
    const sent: PreparedRequest = { ...request, params: { ...request.params }, headers: { ...request.headers } };
    await auth.apply(sent);
    const secrets = addedSecrets(request, sent);
    return { request: sent, label, secrets, url: displayUrl(request, secrets) };
  }

  /** A final answer for decisions that end the request; undefined for those that retry. */
  function settle(decision: Decision, raw: RawResponse, body: ParsedBody, attempt: Attempt): HttpResponse | undefined {
    const { request, label, url, secrets } = attempt;
    const target = { method: request.method, url, status: raw.status };
    switch (decision.kind) {
      case 'success':
        if (!body.ok) {
          throw new ConnectorError('HTTP_BODY', `${connector}: ${request.method} ${url} for ${label} answered ${statusLine(raw.status, raw.statusText)} with a body that is not JSON: ${bodyExcerpt(raw.text, secrets)}`, {
            hint: 'Check the URL base and path: the endpoint should answer JSON.',
            context: { status: raw.status, contentType: raw.headers['content-type'] },
          });
        }
        return { status: raw.status, headers: raw.headers, body: body.value, url: raw.url, ignored: false };
      case 'ignore':
        return { status: raw.status, headers: raw.headers, body: undefined, url: raw.url, ignored: true };
      case 'fail': {
        const what = decision.message ? scrub(decision.message, secrets) : `${request.method} ${url} answered ${statusLine(raw.status, raw.statusText)} for ${label}: ${bodyExcerpt(raw.text, secrets)}`;
        const where = decision.message ? ` (${statusLine(raw.status, raw.statusText)} from ${request.method} ${url})` : '';
        throw new HttpStatusError('HTTP_STATUS', `${connector}: ${what}${where}`, target, {
          hint: 'Fix the request, or add an `on_response` rule if this answer is expected.',
          ...(decision.failureType ? { failureType: decision.failureType } : {}),
        });
      }
      case 'auth':
        throw new HttpStatusError(
          'AUTH_INVALID_CREDENTIALS',
          `${connector}: the API answered ${statusLine(raw.status, raw.statusText)} for ${label}: ${credentialAdvice(auth.credentialFields)} (it may be expired or lack a scope)`,
          target,
          { hint: `${request.method} ${url}: ${bodyExcerpt(raw.text, secrets)}` },
        );
      case 'graphql_errors':
        throw new ConnectorError('GRAPHQL_ERRORS', `${connector}: GraphQL errors for ${label}: ${scrub(decision.messages.join('; '), secrets)}`, {
          hint: 'Fix the query or its variables as the messages say.',
          context: { url },
        });
      case 'retry':
      case 'rate_limited':
        return undefined;
    }
  }

  /** The error for a request whose retries ran out; 429 exhaustion also counts against the breaker. */
  async function exhausted(failure: Failure, attempt: Attempt, cap: string, nextWaitMs?: number): Promise<Error> {
    const { request, label, url, secrets } = attempt;
    const gaveUp = `${connector}: ${request.method} ${url} for ${label}`;
    if (failure.kind === 'transport') {
      const code = failure.error.kind === 'timeout' ? 'HTTP_TIMEOUT' : 'HTTP_NETWORK';
      return new ConnectorError(code, `${gaveUp} failed: ${failure.error.message}; gave up after ${cap}`, {
        hint: code === 'HTTP_TIMEOUT' ? 'Raise requester.timeout_ms or check the API.' : 'Check the URL base and the network.',
        cause: failure.error,
      });
    }
    const status = statusLine(failure.raw.status, failure.raw.statusText);
    if (failure.kind === 'rate_limited') {
      await breaker.recordFailure(`HTTP ${status} (rate limited)`, request.url);
      return new RateLimitedError(`${gaveUp} is rate limited (${status}); gave up after ${cap}`, nextWaitMs ?? failure.waitMs, {
        hint: 'Lower the request rate (requester.rate_limit) or raise retry.max_total_wait_ms.',
        context: { status: failure.raw.status, url },
      });
    }
    return new HttpStatusError('HTTP_RETRIES_EXHAUSTED', `${gaveUp} answered ${status}; gave up after ${cap}: ${bodyExcerpt(failure.raw.text, secrets)}`, {
      method: request.method,
      url,
      status: failure.raw.status,
    }, { hint: 'Wait for the API to recover, or raise requester.retry caps.' });
  }

  return {
    send,
    breakerState: () => breaker.state(),
    stats: () => ({ ...stats }),
    close: async () => breaker.release(),
  };
}

type ParsedBody = { ok: true; value: unknown } | { ok: false };

function parseBody(text: string): ParsedBody {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function resetHeaderWait(rateLimit: RateLimitNode | undefined, raw: RawResponse, now: number): number | undefined {
  if (!rateLimit?.reset_header) return undefined;
  return resetWaitMs(raw.headers[rateLimit.reset_header.toLowerCase()], rateLimit.reset_format, now);
}

function describe(failure: Failure): string {
  return failure.kind === 'transport' ? failure.error.message : statusLine(failure.raw.status, failure.raw.statusText);
}

function unreachable(decision: Decision): never {
  throw new Error(`unhandled response decision ${decision.kind}`);
}

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
