import type { ManifestNode } from '../../runtime/manifest/schema.js';
import { startCassetteServer } from '../cassettes/cassette-server.js';
import type { Cassette, CassetteSet } from '../cassettes/format.js';
import { normaliseQuery } from '../cassettes/match.js';
import type { Handler } from '../server/serve.js';
import { createSimulatedApi, startSimulatedApi } from '../simulated/simulated-api.js';
import { generateWebhookSamples } from '../simulated/webhook-samples.js';
import type { DataSource } from './types.js';

/** Count request arrival times (real clock) for the rate-limit check. */
function timed(handler: Handler, times: number[]): Handler {
  return (request, raw) => {
    times.push(Date.now());
    return handler(request, raw);
  };
}

/** Replay recorded cassettes. Streams without a cassette are unavailable. */
export function cassetteSource(manifest: ManifestNode, set: CassetteSet): DataSource {
  const unavailable = new Map<string, string>();
  const byStream = new Map(set.cassettes.map((c) => [c.stream, c]));
  for (const name of Object.keys(manifest.streams)) {
    if (!byStream.has(name)) unavailable.set(name, `no cassette ${set.connector}/${name}.json (record one with --record)`);
  }
  // The incremental bounds change from run to run: replay ignores them (query params, GraphQL
  // variables) when nothing matches exactly.
  const loose = Object.values(manifest.streams).flatMap((s) => [s.incremental?.lower_bound, s.incremental?.windows?.start_param, s.incremental?.windows?.end_param])
    .filter((b): b is NonNullable<typeof b> => b !== undefined && (b.into === 'param' || b.into === 'variable')).map((b) => b.name);
  const recordedHeaders = new Set(set.cassettes.flatMap((c) => c.interactions.flatMap((i) => Object.keys(i.response.headers ?? {}).map((h) => h.toLowerCase()))));
  return {
    kind: 'cassettes',
    unavailable,
    recordedHeaders,
    recordedValues: (header) =>
      set.cassettes.flatMap((c) => c.interactions.flatMap((i) => Object.entries(i.response.headers ?? {}).filter(([h]) => h.toLowerCase() === header).map(([, v]) => v))),
    webhookSamples: set.webhooks,
    async start(wrap) {
      const times: number[] = [];
      const server = await startCassetteServer(set.cassettes, { looseParams: loose, wrap: (h) => timed(wrap ? wrap(h) : h, times) });
      return {
        url: server.url,
        close: server.close,
        requestTimes: times,
        reset() {
          (server.misses as string[]).length = 0;
          (server.hits as Set<unknown>).clear();
          times.length = 0;
        },
        pagination(stream) {
          const cassette = byStream.get(stream);
          if (!cassette) return { summary: 'no cassette' };
          const summary = `${cassette.interactions.length} recorded interactions replayed`;
          const paths = new Set(cassette.interactions.map((i) => i.request.path));
          const misses = server.misses.filter((m) => paths.has(m.split(' ')[1]!.split('?')[0]!));
          if (misses.length > 0) return { summary, problem: `requests not in the cassette: ${misses.slice(0, 3).join(', ')}${misses.length > 3 ? ` (+${misses.length - 3})` : ''}` };
          const announced = unfollowedLinks(manifest, stream, cassette, set.cassettes);
          if (announced.length > 0) return { summary, problem: `the API announced a next page that was never requested (pagination stopped early): ${announced.slice(0, 2).join(', ')}` };
          const unrequested = cassette.interactions.filter((i) => !server.hits.has(i));
          if (unrequested.length > 0) {
            const label = (i: (typeof unrequested)[number]) => `${i.request.method} ${i.request.path}?${normaliseQuery(i.request.query ?? {}).join('&')}`;
            return { summary, problem: `recorded page(s) never requested: ${unrequested.slice(0, 3).map(label).join(', ')}` };
          }
          return { summary };
        },
      };
    },
  };
}

/**
 * Link-header next pages that the recording never requested: a client that stopped early (a
 * `page_size` larger than the API's real page) also records too little, so look at what the API said.
 */
function unfollowedLinks(manifest: ManifestNode, stream: string, cassette: Cassette, all: readonly Cassette[]): string[] {
  const pagination = manifest.streams[stream]?.pagination;
  if (pagination?.type !== 'link_header') return [];
  const rel = pagination.rel ?? 'next';
  const recorded = new Set(all.flatMap((c) => c.interactions.map((i) => `${i.request.path}?${normaliseQuery(i.request.query ?? {}).join('&')}`)));
  const out: string[] = [];
  for (const interaction of cassette.interactions) {
    const link = Object.entries(interaction.response.headers ?? {}).find(([h]) => h.toLowerCase() === 'link')?.[1];
    if (!link) continue;
    for (const part of link.split(',')) {
      const match = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
      if (!match || !match[2]!.split(/\s+/).includes(rel)) continue;
      const base = (cassette.base ?? '').replace(/\/$/, '');
      const target = match[1]!.startsWith(base) && base ? match[1]!.slice(base.length) : match[1]!;
      let url: URL;
      try {
        url = new URL(target, 'http://recorded.invalid');
      } catch {
        continue;
      }
      const key = `${url.pathname}?${normaliseQuery([...url.searchParams.entries()]).join('&')}`;
      if (!recorded.has(key)) out.push(`GET ${key}`);
    }
  }
  return out;
}

/** A simulated API derived from the manifest; streams it cannot simulate are unavailable with the reason. */
export function simulatedSource(manifest: ManifestNode, seed: number | string, config: Record<string, unknown>, samples?: DataSource['webhookSamples']): DataSource {
  const probe = createSimulatedApi(manifest, { seed });
  return {
    kind: 'simulated',
    unavailable: probe.skipped,
    webhookSamples: samples && samples.length > 0 ? samples : generateWebhookSamples(manifest, probe, config),
    async start(wrap) {
      const times: number[] = [];
      const api = await startSimulatedApi(manifest, { seed, wrap: (h) => timed(wrap ? wrap(h) : h, times) });
      return {
        url: api.url,
        close: api.close,
        requestTimes: times,
        reset() {
          api.reset();
          times.length = 0;
        },
        pagination(stream, recordsRead) {
          const partitions = api.partitions(stream);
          const pages = partitions.reduce((n, p) => n + p.pages, 0);
          const summary = `${pages} pages over ${partitions.length} partition(s)`;
          if (partitions.length === 0) return { summary, problem: `no request reached the stream's endpoint${api.unmatched.length ? ` (unmatched: ${api.unmatched.slice(0, 2).join(', ')})` : ''}` };
          const early = partitions.filter((p) => !p.lastPageServed);
          if (early.length > 0) return { summary, problem: `paging stopped before the last page in ${early.length} partition(s), e.g. after ${early[0]!.pages} page(s) of ${early[0]!.key}` };
          const served = partitions.reduce((n, p) => n + p.served, 0);
          if (recordsRead !== served) return { summary, problem: `read ${recordsRead} records but the API served ${served}` };
          return { summary };
        },
      };
    },
  };
}
