import { startLocalServer, type LocalServer } from '../server/serve.js';
import type { Cassette, Interaction } from './format.js';
import { normaliseQuery, queryToRecord, stableJson } from './match.js';
import type { Scrubber } from './scrub.js';

export interface RecordingProxyOptions {
  /** The live API's rendered url_base, e.g. "https://api.github.com". */
  target: string;
  scrubber: Scrubber;
  /** Headers never forwarded upstream (hop-by-hop). */
  fetchImpl?: typeof fetch;
}

export interface RecordingProxy extends LocalServer {
  /** The interactions recorded since the last call, scrubbed, as a cassette for `stream`. */
  take(stream: string): Cassette;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'accept-encoding']);

/**
 * A local proxy that forwards every request to the live API and records request → response.
 * Point the engine at it (`urlBaseOverride: proxy.url`); URLs of the live API in responses are
 * rewritten to the proxy so that every page goes through it. Nothing is written until `take`, which
 * scrubs secrets and personal data.
 */
export async function startRecordingProxy(options: RecordingProxyOptions): Promise<RecordingProxy> {
  const target = options.target.replace(/\/$/, '');
  const doFetch = options.fetchImpl ?? fetch;
  let recorded: Interaction[] = [];
  const server = await startLocalServer(async (request) => {
    const url = new URL(`${target}${request.path}`);
    for (const [k, v] of request.query) url.searchParams.append(k, v);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    const init: RequestInit = { method: request.method, headers };
    if (request.body.length > 0) init.body = request.body;
    const upstream = await doFetch(url, init);
    const text = await upstream.text();
    const responseHeaders: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) responseHeaders[name] = value;
    });
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // Not JSON: kept as text.
    }
    let requestBody: unknown;
    if (request.body.length > 0) {
      try {
        requestBody = JSON.parse(request.body.toString('utf8'));
      } catch {
        requestBody = request.body.toString('utf8');
      }
    }
    recorded.push({
      request: { method: request.method, path: request.path, query: queryToRecord(request.query), ...(requestBody === undefined ? {} : { body: requestBody }) },
      response: { status: upstream.status, headers: responseHeaders, body },
    });
    const local = (s: string) => s.split(target).join(request.origin);
    return { status: upstream.status, headers: Object.fromEntries(Object.entries(responseHeaders).map(([k, v]) => [k, local(v)])), body: local(text) };
  });
  return {
    url: server.url,
    close: server.close,
    take(stream) {
      // A request answered several times (retried after a 429 or a 5xx) keeps its last answer:
      // replay serves one response per request, and it must be the one that let the client go on.
      const last = new Map<string, Interaction>();
      for (const i of recorded) {
        const key = `${i.request.method} ${i.request.path}?${normaliseQuery(i.request.query).join('&')} ${i.request.body === undefined ? '' : stableJson(i.request.body)}`;
        last.delete(key);
        last.set(key, i);
      }
      const cassette: Cassette = { stream, base: target, interactions: [...last.values()] };
      recorded = [];
      return options.scrubber.cassette(cassette);
    },
  };
}
