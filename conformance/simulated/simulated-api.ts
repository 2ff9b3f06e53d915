import type { ManifestNode } from '../../runtime/manifest/schema.js';
import { json, startLocalServer, type Handler, type LocalServer } from '../server/serve.js';
import type { SimRequest } from './pagers/types.js';
import { matchRoute } from './route.js';
import { createStreamSimulation, type PartitionLog, type StreamSimulation } from './stream-sim.js';

export interface SimulatedApiOptions {
  /** Seed of the synthetic data (default 1): the same seed serves the same records. */
  seed?: number | string;
  /** Override how many records each partition holds. */
  recordsPerPartition?: number;
}

export interface SimulatedApi {
  /** Streams that can be simulated. */
  readonly streams: ReadonlyMap<string, StreamSimulation>;
  /** Streams that cannot, with the reason. */
  readonly skipped: ReadonlyMap<string, string>;
  readonly handler: Handler;
  /** What was served per stream and partition since the last reset. */
  partitions(stream: string): PartitionLog[];
  reset(): void;
  /** Requests that matched no stream, as "METHOD /path". */
  readonly unmatched: readonly string[];
}

/** A local API that answers every stream of a manifest the way the manifest says the real one does. */
export function createSimulatedApi(manifest: ManifestNode, options: SimulatedApiOptions = {}): SimulatedApi {
  const streams = new Map<string, StreamSimulation>();
  const skipped = new Map<string, string>();
  for (const [name, stream] of Object.entries(manifest.streams)) {
    const sim = createStreamSimulation({ stream, name, manifest, seed: options.seed ?? 1, ...(options.recordsPerPartition ? { recordsPerPartition: options.recordsPerPartition } : {}) });
    if ('skip' in sim) skipped.set(name, sim.skip);
    else streams.set(name, sim);
  }
  // A substream needs its parent: when the parent cannot be simulated, neither can the child.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, stream] of Object.entries(manifest.streams)) {
      const parent = stream.partitions && 'parent' in stream.partitions ? stream.partitions.parent : undefined;
      if (parent && skipped.has(parent) && !skipped.has(name)) {
        skipped.set(name, `its parent stream ${parent} cannot be simulated (${skipped.get(parent)})`);
        streams.delete(name);
        changed = true;
      }
    }
  }
  const unmatched: string[] = [];
  // `check.path` (e.g. /user) is not a stream: it only has to answer 2xx.
  const checkRoute = manifest.check?.path ? templateRegex(manifest.check.path) : undefined;
  const handler: Handler = async (request) => {
    let body: Record<string, unknown> | undefined;
    if (request.body.length > 0) {
      try {
        body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return json(400, { message: 'the simulated API expects JSON bodies' });
      }
    }
    const sim: SimRequest = { path: request.path, query: new Map(request.query), headers: request.headers, body, origin: request.origin };
    // The stream whose route matches with the most literal params wins (two streams on one endpoint).
    let best: { stream: StreamSimulation; captures: string[] } | undefined;
    for (const stream of streams.values()) {
      const captures = matchRoute(stream.route, request.method, sim);
      if (captures && (!best || stream.route.literals.length > best.stream.route.literals.length)) best = { stream, captures };
    }
    if (!best && checkRoute && checkRoute.test(safeDecode(request.path))) return json(200, {});
    if (!best) {
      unmatched.push(`${request.method} ${request.path}`);
      return json(404, { message: `the simulated API has no stream at ${request.method} ${request.path}` });
    }
    return best.stream.respond(sim, best.captures);
  };
  return {
    streams,
    skipped,
    handler,
    unmatched,
    partitions: (name) => streams.get(name)?.partitions() ?? [],
    reset: () => {
      for (const s of streams.values()) s.reset();
      unmatched.length = 0;
    },
  };
}


/** Serve a manifest's simulated API on 127.0.0.1. */
export async function startSimulatedApi(manifest: ManifestNode, options: SimulatedApiOptions & { wrap?: (h: Handler) => Handler } = {}): Promise<SimulatedApi & LocalServer> {
  const api = createSimulatedApi(manifest, options);
  const server = await startLocalServer(options.wrap ? options.wrap(api.handler) : api.handler);
  return Object.assign(api, { url: server.url, close: server.close });
}

function templateRegex(template: string): RegExp {
  const source = template.split(/(\{\{[\s\S]*?\}\})/).map((part) => (part.startsWith('{{') ? '(.+?)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}/?$`);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
