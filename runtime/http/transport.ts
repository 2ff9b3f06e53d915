import ky from 'ky';
import { linkAbort } from './abort-link.js';
import type { PreparedRequest } from './types.js';

/** One attempt's raw answer, before any decision is taken about it. */
export interface RawResponse {
  status: number;
  statusText: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  text: string;
  url: string;
}

/** A failure before any HTTP answer: the attempt timed out or the connection broke. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

/** The full URL with `params` set on it (kept apart so an API's own query string survives). */
export function urlWithParams(request: Pick<PreparedRequest, 'url' | 'params'>): URL {
  const url = new URL(request.url);
  for (const [name, value] of Object.entries(request.params)) url.searchParams.set(name, value);
  return url;
}

/**
 * Send one attempt with ky. ky's own retry is off (our retry loop has jitter and caps it lacks) and
 * HTTP error statuses are returned, not thrown, so the response rules see them.
 *
 * Each attempt has its own AbortController, aborted by our timer or by the outer signal through
 * `linkAbort` (one listener on the outer signal, removed when no attempt is in flight).
 * `AbortSignal.any([outer, ...])` per request ties every attempt to the long-lived outer signal,
 * which leaks on Node 20 over a long sync.
 */
export async function sendOnce(request: PreparedRequest, timeoutMs: number, signal: AbortSignal | undefined): Promise<RawResponse> {
  const headers = new Headers(request.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const hasBody = request.body !== undefined;
  if (hasBody && !headers.has('content-type')) headers.set('content-type', 'application/json');
  signal?.throwIfAborted();
  const attempt = new AbortController();
  let timedOut = false;
  // Our own timer covers the whole attempt, body included (ky's timeout stops at the headers).
  const timeout = setTimeout(() => {
    timedOut = true;
    attempt.abort();
  }, timeoutMs);
  const unlink = signal ? linkAbort(signal, attempt) : undefined;
  try {
    const response = await ky(urlWithParams(request), {
      method: request.method,
      headers,
      ...(hasBody ? { body: JSON.stringify(request.body) } : {}),
      timeout: false,
      retry: { limit: 0 },
      throwHttpErrors: false,
      signal: attempt.signal,
    });
    const text = await response.text();
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return { status: response.status, statusText: response.statusText, headers: out, text, url: response.url };
  } catch (error) {
    if (signal?.aborted) throw error;
    if (timedOut) throw new TransportError('timeout', `timed out after ${timeoutMs} ms`, { cause: error });
    throw new TransportError('network', networkMessage(error), { cause: error });
  } finally {
    clearTimeout(timeout);
    unlink?.();
  }
}

/**
 * undici reports "fetch failed" and hides the useful part in `cause`: a system error code
 * (ECONNRESET, ECONNREFUSED, ENOTFOUND) or a reason of its own, such as "bad port" for the ports the
 * Fetch standard blocks (9, 25, 6000...), which no server on that port could ever fix.
 */
export function networkMessage(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const causeMessage = typeof cause?.message === 'string' ? cause.message : '';
  if (typeof cause?.code === 'string') return `${cause.code}${causeMessage ? ` (${causeMessage})` : ''}`;
  const message = error instanceof Error ? error.message : String(error);
  if (causeMessage === 'bad port') return `${message}: bad port (fetch never connects to the ports the Fetch standard blocks: use another port)`;
  return causeMessage ? `${message}: ${causeMessage}` : message;
}

/**
 * fetch() failing before any answer: undici throws `TypeError: fetch failed` with the system error
 * (ECONNREFUSED, ENOTFOUND...) or its own reason as the cause. Its description (see networkMessage),
 * or undefined for anything the server answered. For callers of fetch outside the requester (auth).
 */
export function networkFailure(error: unknown): string | undefined {
  if (!(error instanceof TypeError)) return undefined;
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error || error.message === 'fetch failed' ? networkMessage(error) : undefined;
}
