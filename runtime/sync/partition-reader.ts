import type { SourceLocation } from '../errors/index.js';
import { compileTemplate, type Scope } from '../expressions/index.js';
import { buildRequest, type HttpResponse, type PreparedRequest, type Requester } from '../http/index.js';
import { planPartition, type CursorValue, maxCursor, type SavedCursor } from '../incremental/index.js';
import type { ManifestNode, StreamNode } from '../manifest/schema.js';
import { applyPatch, createPaginator } from '../pagination/index.js';
import type { Partition } from '../partitions/index.js';
import type { DataRecord, RecordPipeline } from '../records/index.js';

/** What reading one partition produces, in order. */
export type PartitionEvent =
  | { type: 'page'; records: DataRecord[] }
  /** After a datetime window and at the end of the partition: the highest cursor emitted so far. */
  | { type: 'checkpoint'; cursor: CursorValue | undefined; final: boolean };

export interface PartitionReadContext {
  manifest: ManifestNode;
  streamName: string;
  stream: StreamNode;
  pipeline: RecordPipeline;
  requester: Requester;
  /** Incremental reading applies (sync mode incremental, or a parent read incrementally). */
  incremental: boolean;
  baseScope: Scope;
  now: () => Date;
  urlBaseOverride?: string;
  location?: SourceLocation;
  /** Where the stream's `incremental.lookback` is, for errors about it. */
  lookbackLocation?: SourceLocation;
}

/**
 * Read one partition: its slices (one, or one per datetime window) and, within each, every page in
 * order. Records are yielded page by page (never the whole partition), already filtered by the
 * incremental plan; `order: descending` stops paging once a page reaches past the lower bound.
 */
export async function* readPartition(context: PartitionReadContext, partition: Partition, partitionKey: string | undefined, start: SavedCursor | undefined): AsyncGenerator<PartitionEvent> {
  const saved = start?.cursor;
  const { stream, streamName, pipeline, requester } = context;
  const now = context.now();
  const scope: Scope = { ...context.baseScope, partition, state: saved === undefined ? {} : { cursor: saved }, now: now.toISOString() };
  const plan = await planPartition({
    node: context.incremental ? stream.incremental : undefined,
    cursorField: stream.cursor_field,
    saved,
    savedIsExact: start?.exact ?? true,
    scope,
    now,
    ...(context.lookbackLocation ? { lookbackLocation: context.lookbackLocation } : {}),
  });
  if (plan.skip) {
    yield { type: 'checkpoint', cursor: undefined, final: true };
    return;
  }
  const descending = context.incremental && stream.incremental?.order === 'descending';
  let highest: CursorValue | undefined;
  for (const slice of plan.slices) {
    const sliceScope: Scope = slice.window ? { ...scope, window: { start: slice.start, end: slice.end } } : scope;
    // Next-page URLs from the API name its real host: with a url_base override (cassettes,
    // simulated APIs) they must keep pointing at the override, never at the internet.
    const urlBase = context.urlBaseOverride === undefined ? undefined : { from: String(await compileTemplate(context.manifest.requester.url_base).render(sliceScope)), to: context.urlBaseOverride };
    const built = await buildRequest(context.manifest.requester, stream.request, sliceScope, context.urlBaseOverride);
    const base = applyPatch({ ...built, label: streamName }, { inject: slice.inject });
    const paginator = createPaginator(stream.pagination, { stream: streamName, ...(partitionKey === undefined ? {} : { partition: partitionKey }), ...(context.location ? { location: context.location } : {}) });
    let request = applyPatch(base, paginator.first());
    let pending = sendQuietly(requester, request);
    for (;;) {
      const response = await pending;
      const page = await pipeline.extractPage(response.ignored ? undefined : response.body, { ...sliceScope, headers: response.headers });
      const kept: DataRecord[] = [];
      let reachedBound = false;
      for (const record of page.records) {
        if (descending && plan.isBeforeBound(record)) reachedBound = true;
        if (!plan.keep(record)) continue;
        highest = maxCursor(highest, plan.cursorOf(record));
        kept.push(record);
      }
      // Ask for the next page BEFORE handing this one over, so the network works while the consumer
      // writes records (one page ahead at most). A paging error surfaces after this page's records.
      let more = false;
      let failure: { error: unknown } | undefined;
      if (!reachedBound) {
        try {
          const patch = await paginator.next({ request, response, recordCount: page.selected });
          if (patch) {
            request = rebase(applyPatch(base, patch), patch.url === undefined ? undefined : urlBase);
            pending = sendQuietly(requester, request);
            more = true;
          }
        } catch (error) {
          failure = { error };
        }
      }
      yield { type: 'page', records: kept };
      if (failure) throw failure.error;
      if (!more) break;
    }
    if (slice.window) yield { type: 'checkpoint', cursor: highest, final: false };
  }
  yield { type: 'checkpoint', cursor: highest, final: true };
}

/**
 * Send a request whose result may never be awaited (the consumer stopped early): a rejection is
 * marked handled here and still rethrown to whoever awaits the returned promise.
 */
function sendQuietly(requester: Requester, request: PreparedRequest): Promise<HttpResponse> {
  const sent = requester.send(request);
  sent.catch(() => undefined);
  return sent;
}

function rebase(request: PreparedRequest, base: { from: string; to: string } | undefined): PreparedRequest {
  if (!base) return request;
  const from = base.from.replace(/\/+$/, '');
  if (!from || !request.url.startsWith(from)) return request;
  return { ...request, url: base.to.replace(/\/+$/, '') + request.url.slice(from.length) };
}
