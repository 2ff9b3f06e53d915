import { json, startLocalServer, type Handler, type LocalServer } from '../server/serve.js';
import type { Cassette, Interaction } from './format.js';
import { findInteraction, normaliseQuery } from './match.js';

export interface CassetteServerOptions {
  /** Query parameters ignored when no interaction matches exactly (e.g. the incremental lower bound). */
  looseParams?: readonly string[];
  /** Wrap the replay handler, e.g. with `injectFaults`. */
  wrap?: (handler: Handler) => Handler;
}

/** What a replay served: for "every recorded page was requested" checks. */
export interface CassetteLog {
  misses: string[];
  served: string[];
  hits: Set<Interaction>;
}

export interface CassetteServer extends LocalServer {
  readonly hits: ReadonlySet<Interaction>;
  /** Requests no interaction matched, as "METHOD /path?query". */
  readonly misses: readonly string[];
  /** Every request served, in order. */
  readonly served: readonly string[];
}

/** The replay handler on its own (to compose with other handlers). */
export function createCassetteHandler(cassettes: readonly Cassette[], options: CassetteServerOptions = {}, log?: CassetteLog): Handler {
  const loose = new Set(options.looseParams ?? []);
  const entries = cassettes.flatMap((c) => c.interactions.map((interaction) => ({ interaction, base: c.base })));
  const interactions = entries.map((e) => e.interaction);
  return async (request) => {
    const label = `${request.method} ${request.path}${request.query.length ? `?${normaliseQuery(request.query).join('&')}` : ''}`;
    log?.served.push(label);
    const found = findInteraction(interactions, request, loose);
    if (!found) {
      log?.misses.push(label);
      return json(404, { message: `no recorded interaction for ${label}`, hint: 're-record the cassettes with `gwi-connectors test --record`' });
    }
    log?.hits.add(found);
    const base = entries[interactions.indexOf(found)]?.base;
    const rewrite = (text: string) => (base ? text.split(base.replace(/\/$/, '')).join(request.origin) : text);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(found.response.headers ?? {})) {
      // The body is re-serialised: lengths and encodings of the recording no longer apply.
      if (['content-length', 'content-encoding', 'transfer-encoding'].includes(name.toLowerCase())) continue;
      headers[name] = rewrite(value);
    }
    const raw = typeof found.response.body === 'string' ? found.response.body : JSON.stringify(found.response.body ?? null);
    if (found.response.body !== undefined && typeof found.response.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    return { status: found.response.status, headers, body: rewrite(raw) };
  };
}

/**
 * Replay cassettes from a real HTTP server on 127.0.0.1. Point the engine at it with
 * `urlBaseOverride: server.url`; absolute URLs of the recorded API (Link headers, next URLs) are
 * rewritten to the server's origin so pagination stays local.
 */
export async function startCassetteServer(cassettes: readonly Cassette[], options: CassetteServerOptions = {}): Promise<CassetteServer> {
  const log: CassetteLog = { misses: [], served: [], hits: new Set() };
  const handler = createCassetteHandler(cassettes, options, log);
  const server = await startLocalServer(options.wrap ? options.wrap(handler) : handler);
  return { url: server.url, close: server.close, misses: log.misses, served: log.served, hits: log.hits };
}
