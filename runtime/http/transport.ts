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
 * Send one attempt with fetch. HTTP error statuses are returned, not thrown, so the response rules
 * see them; retries are ours (jitter and caps).
 *
 * Each attempt has its own AbortController, aborted by our timer or by the outer signal through
 * `linkAbort` (one listener on the outer signal, removed when no attempt is in flight).
 * `AbortSignal.any([outer, ...])` per request ties every attempt to the long-lived outer signal,
 * which leaks on Node 20 over a long sync.
 *
 * Why fetch and not ky (DESIGN.md's HTTP client) here: ky wraps our signal in `new Request(url,
 * {signal})` and hands that Request to fetch, whose own Request follows the first one's signal.
 * undici follows a parent signal through a WeakRef (nodejs/undici#3644): once ky has returned the
 * response its Request is garbage, and after a GC our abort no longer reaches the fetch still
 * reading the body, so a body that trickles forever hung the sync past its timeout. With retry,
 * timeout and throwHttpErrors all off, ky added nothing else to this path.
 *
 * And because even fetch's own following is undici's business, the attempt does not rely on it:
 * waiting for the headers and reading the body both end when the attempt's signal aborts
 * (`untilAborted`, `readText`), which cancels the body so the connection is released.
 */
export async function sendOnce(request: PreparedRequest, timeoutMs: number, signal: AbortSignal | undefined): Promise<RawResponse> {
  const headers = new Headers(request.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const hasBody = request.body !== undefined;
  if (hasBody && !headers.has('content-type')) headers.set('content-type', 'application/json');
  signal?.throwIfAborted();
  const attempt = new AbortController();
  let timedOut = false;
  // Our own timer covers the whole attempt, headers and body.
  const timeout = setTimeout(() => {
    timedOut = true;
    attempt.abort();
  }, timeoutMs);
  const unlink = signal ? linkAbort(signal, attempt) : undefined;
  try {
    const pending = fetch(urlWithParams(request), {
      method: request.method,
      headers,
      ...(hasBody ? { body: JSON.stringify(request.body) } : {}),
      signal: attempt.signal,
    });
    const response = await untilAborted(pending, attempt.signal, (late) => void late.body?.cancel().catch(() => undefined));
    const text = await readText(response, attempt.signal);
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
 * `promise`, or a rejection with the signal's reason as soon as it aborts, whichever comes first.
 * A value that arrives after the abort goes to `discard` (to release what it holds).
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, discard: (late: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) discard(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The body as UTF-8 text, read with our own reader so that an abort can cancel it: `response.text()`
 * locks the stream, and a read pending on a body that never ends would then only stop if the abort
 * reached undici. Cancelling ends the pending read (done) and closes the connection.
 */
async function readText(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const onAbort = () => void reader.cancel(signal.reason).catch(() => undefined);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      signal.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    signal.throwIfAborted(); // a cancelled read ends as done: the text is incomplete
    return text + decoder.decode();
  } finally {
    signal.removeEventListener('abort', onAbort);
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
