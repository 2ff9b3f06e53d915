import { compileExpression } from '../expressions/index.js';
import type { ManifestNode } from '../manifest/schema.js';
import type { DataRecord, RecordPipeline } from '../records/types.js';
import type { WebhookEventNode } from './schema.js';

export interface MappedRecords {
  stream: string;
  records: DataRecord[];
}

export interface MapContext {
  /** The stream's record pipeline (the same one polling uses). */
  pipelineFor(stream: string): RecordPipeline;
  config?: Readonly<Record<string, unknown>>;
  headers?: Readonly<Record<string, string>>;
}

/**
 * Map one event with `webhooks.events` to records of streams, through each stream's own `filter`,
 * `map` and primary key. An event the manifest does not map yields no records.
 */
export async function mapDelivery(manifest: Pick<ManifestNode, 'webhooks'>, event: string, payload: unknown, context: MapContext): Promise<MappedRecords[]> {
  if (!isRouted(manifest, event)) return [];
  const routes = manifest.webhooks!.events[event]!;
  const out: MappedRecords[] = [];
  for (const route of Array.isArray(routes) ? routes : [routes]) {
    const records = await mapRoute(route, payload, context);
    if (records.length > 0) out.push({ stream: route.stream, records });
  }
  return out;
}

/** Whether `webhooks.events` maps this event at all (its `when` may still leave a delivery without records). */
export function isRouted(manifest: Pick<ManifestNode, 'webhooks'>, event: string): boolean {
  // Own keys only: an event named "constructor" is no route.
  const events = manifest.webhooks?.events;
  return events !== undefined && Object.hasOwn(events, event);
}

async function mapRoute(route: WebhookEventNode, payload: unknown, context: MapContext): Promise<DataRecord[]> {
  const bindings = { config: context.config ?? {}, headers: context.headers ?? {} };
  if (route.when !== undefined && !(await compileExpression(route.when).evaluate(payload, bindings))) return [];
  const selected = route.record === undefined ? payload : await compileExpression(route.record).evaluate(payload, bindings);
  if (selected === undefined || selected === null) return [];
  const raw = Array.isArray(selected) ? selected : [selected];
  const partition = route.partition === undefined ? {} : await compileExpression(route.partition).evaluate(payload, bindings);
  return context.pipelineFor(route.stream).process(raw, { ...bindings, partition });
}
