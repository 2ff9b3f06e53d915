import { compileExpression } from '../../runtime/expressions/index.js';
import type { ManifestNode, StreamNode } from '../../runtime/manifest/schema.js';
import type { PaginationNode } from '../../runtime/pagination/schema.js';
import { json, type LocalResponse } from '../server/serve.js';
import { setPath, simplePathOf } from './ast.js';
import { invertMap } from './invert-map.js';
import { PAGERS, type SimPager, type SimRequest } from './pagers/index.js';
import { readInjected } from './pagers/types.js';
import { tokenLocation } from './pagers/token-location.js';
import { cursorNumber, cursorOf, generateRecords } from './records.js';
import { routeOf, type Route } from './route.js';

/** What the simulator served for one partition: the read checks compare it with what was read. */
export interface PartitionLog {
  key: string;
  /** Records the API holds for this partition (after the stream's `filter`). */
  total: number;
  pages: number;
  /** Distinct records served on pages, within the requested bounds. */
  served: number;
  lastPageServed: boolean;
}

interface Entry { mapped: Record<string, unknown>; raw: Record<string, unknown>; kept: boolean }

export interface StreamSimulation {
  readonly name: string;
  readonly route: Route;
  readonly pageSize: number;
  respond(request: SimRequest, captures: string[]): Promise<LocalResponse>;
  partitions(): PartitionLog[];
  reset(): void;
}

type Manifested = { stream: StreamNode; name: string; manifest: ManifestNode; seed: number | string; recordsPerPartition?: number };

/**
 * A local API for one stream, derived from its manifest entry: records generated from the schema,
 * inverted through `map`, wrapped where `records` selects them, paged as `pagination` says, filtered
 * by the incremental lower bound and sorted in the declared order. Undefined + reason when the
 * stream is too custom to simulate.
 */
export function createStreamSimulation({ stream, name, manifest, seed, recordsPerPartition }: Manifested): StreamSimulation | { skip: string } {
  const route = routeOf(stream);
  if ('skip' in route) return route;
  const invert = invertMap(stream.map);
  if ('skip' in invert) return invert;
  const selector = simplePathOf(stream.records ?? '$');
  if (!selector) return { skip: `records selector "${stream.records}" is not a plain path such as "$" or "data.items"` };
  const pagination: PaginationNode = stream.pagination ?? { type: 'none' };
  const pager = (PAGERS[pagination.type] as (node: PaginationNode) => SimPager | { skip: string })(pagination);
  if ('skip' in pager) return pager;
  const stop = pagination as { has_more?: string };
  const hasMore = stop.has_more ? tokenLocation(stop.has_more) : undefined;
  if (stop.has_more && !hasMore) return { skip: `pagination.has_more "${stop.has_more}" is not a plain path over response or headers` };
  const needsBodyFields = ['cursor', 'next_url', 'graphql_relay'].includes(pagination.type) || hasMore !== undefined;
  if (needsBodyFields && selector.length === 0 && !usesHeadersOnly(pagination)) {
    return { skip: 'records are the whole body ("$") but pagination reads a body field: the simulator cannot place both' };
  }
  const filter = stream.filter ? compileExpression(stream.filter) : undefined;
  const isParent = Object.values(manifest.streams).some((s) => s.partitions && 'parent' in s.partitions && s.partitions.parent === name);
  const size = Number.isFinite(pager.pageSize) ? pager.pageSize : 7;
  const count = Math.min(recordsPerPartition ?? (isParent ? size + 1 : size * 2 + Math.max(1, Math.floor(size / 2))), 400);
  const cache = new Map<string, Promise<Entry[]>>();
  const logs = new Map<string, PartitionLog>();
  // Distinct records served per partition: a page fetched twice (a parent read for two children) counts once.
  const servedSets = new Map<string, Set<Entry>>();
  const bound = stream.incremental?.lower_bound;
  const windows = stream.incremental?.windows;
  const order = stream.incremental?.order ?? 'unordered';

  const entries = (key: string): Promise<Entry[]> => {
    let found = cache.get(key);
    if (!found) {
      found = (async () => {
        const mapped = generateRecords(name, stream, key, count, seed);
        const out: Entry[] = [];
        for (const record of mapped) {
          const raw = invert(record);
          const kept = filter ? Boolean(await filter.evaluate(raw, { config: {}, partition: {} })) : true;
          out.push({ mapped: record, raw, kept });
        }
        if (order === 'descending') out.reverse();
        return out;
      })();
      cache.set(key, found);
    }
    return found;
  };

  return {
    name,
    route,
    pageSize: size,
    reset: () => {
      logs.clear();
      servedSets.clear();
    },
    partitions: () => [...logs.values()],
    async respond(request, captures) {
      const variables = { ...((request.body?.variables as Record<string, unknown> | undefined) ?? {}) };
      if (pagination.type === 'graphql_relay') delete variables[pagination.cursor_variable ?? 'after'];
      for (const injected of [bound, windows?.start_param, windows?.end_param]) if (injected?.into === 'variable') delete variables[injected.name];
      const key = JSON.stringify([captures, variables]);
      const all = await entries(key);
      const low = bound ? cursorNumber(readInjected(request, bound)) : undefined;
      const winStart = windows ? cursorNumber(readInjected(request, windows.start_param)) : undefined;
      const winEnd = windows ? cursorNumber(readInjected(request, windows.end_param)) : undefined;
      const inRange = all.filter((e) => {
        const c = cursorNumber(cursorOf(e.mapped, stream.cursor_field));
        if (c === undefined) return true;
        if (low !== undefined && c < low) return false;
        if (winStart !== undefined && c < winStart) return false;
        if (winEnd !== undefined && c >= winEnd) return false;
        return true;
      });
      const { start, size: pageSize } = pager.position(request);
      const page = inRange.slice(start, start + pageSize);
      const next = start + pageSize < inRange.length ? start + pageSize : undefined;
      const log = logs.get(key) ?? { key, total: all.filter((e) => e.kept).length, pages: 0, served: 0, lastPageServed: false };
      const seen = servedSets.get(key) ?? new Set<Entry>();
      servedSets.set(key, seen);
      log.pages++;
      for (const e of page) if (e.kept) seen.add(e);
      log.served = seen.size;
      if (next === undefined) log.lastPageServed = true;
      logs.set(key, log);
      const extras = pager.extras(request, next);
      const more = hasMore ? hasMore(next !== undefined) : { headers: {}, fields: [] };
      const rows = page.map((e) => e.raw);
      let body: unknown = rows;
      if (selector.length > 0) {
        const root: Record<string, unknown> = {};
        setPath(root, selector, rows);
        for (const [path, value] of [...extras.fields, ...more.fields]) setPath(root, path, value);
        body = root;
      }
      return json(200, body, { ...extras.headers, ...more.headers });
    },
  };
}

function usesHeadersOnly(pagination: PaginationNode): boolean {
  if (pagination.type === 'cursor') return /^\s*headers\./.test(pagination.token);
  if (pagination.type === 'next_url') return /^\s*headers\./.test(pagination.url);
  return false;
}

