import { ConnectorError, isConnectorError, relocated, type SourceLocation } from '../errors/index.js';
import { compileExpression } from '../expressions/index.js';
import { createRedactor, MIN_MASKED_LENGTH } from '../secrets/index.js';
import type { ManifestNode } from '../manifest/schema.js';
import type { DataRecord, RecordPipeline, StoredRecord } from '../records/types.js';
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
  /**
   * Told when a route's `record` selected nothing (no value, or an empty list) on a payload, with the
   * route's manifest path (`webhooks.events.<event>`): every delivery of an event selecting nothing is
   * a misspelt path or a changed payload more often than not. A `when` that is false is not this.
   */
  selectedNothing?(path: string, record: string): void;
  /** Where a manifest path is in its file (LoadedManifest.locate): a failure then names the line of the key that failed. */
  locate?(path: ReadonlyArray<string | number>): SourceLocation;
}

/**
 * Map one event with `webhooks.events` to records of streams, through each stream's own `filter`,
 * `map` and primary key. An event the manifest does not map yields no records.
 */
export async function mapDelivery(manifest: Pick<ManifestNode, 'webhooks'>, event: string, payload: unknown, context: MapContext): Promise<MappedRecords[]> {
  if (!isRouted(manifest, event)) return [];
  const routes = manifest.webhooks!.events[event]!;
  const out: MappedRecords[] = [];
  for (const [index, route] of (Array.isArray(routes) ? routes : [routes]).entries()) {
    const path = ['webhooks', 'events', event, ...(Array.isArray(routes) ? [index] : [])];
    const records = await mapRoute(route, payload, context, path);
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

async function mapRoute(route: WebhookEventNode, payload: unknown, context: MapContext, path: ReadonlyArray<string | number>): Promise<DataRecord[]> {
  const bindings = { config: context.config ?? {}, headers: context.headers ?? {} };
  const evaluate = async (key: 'when' | 'record' | 'partition', source: string) => {
    try {
      return await compileExpression(source).evaluate(payload, bindings);
    } catch (error) {
      throw routeError(error, [...path, key], context);
    }
  };
  if (route.when !== undefined && !(await evaluate('when', route.when))) return [];
  const selected = route.record === undefined ? payload : await evaluate('record', route.record);
  const raw = selected === undefined || selected === null ? [] : Array.isArray(selected) ? selected : [selected];
  if (raw.length === 0) {
    if (route.record !== undefined) context.selectedNothing?.(path.join('.'), route.record);
    return [];
  }
  const partition = route.partition === undefined ? {} : await evaluate('partition', route.partition);
  try {
    return await context.pipelineFor(route.stream).process(raw, { ...bindings, partition });
  } catch (error) {
    throw pipelineError(error, route.stream, path, context);
  }
}

/**
 * The mapped records as the store keeps them (key and version), for the dispatcher and the workers;
 * a record without its primary key is located at the stream's `primary_key`.
 */
export function storedBatches(mapped: readonly MappedRecords[], context: Pick<MapContext, 'pipelineFor' | 'locate'>): Array<{ stream: string; records: StoredRecord[] }> {
  return mapped.map(({ stream, records }) => {
    const pipeline = context.pipelineFor(stream);
    try {
      return { stream, records: records.map((data) => pipeline.stored(data)) };
    } catch (error) {
      throw isConnectorError(error) ? relocated(error, at(context, ['streams', stream, 'primary_key'])) : error;
    }
  });
}

const at = (context: Pick<MapContext, 'locate'>, path: ReadonlyArray<string | number>) => ({ ...context.locate?.(path), path: path.join('.') });

/**
 * A route's failure at the key it comes from (`webhooks.events.<event>.<key>`, with its file and
 * line when known): where a dispatch error is stored and logged, it then says what to fix.
 */
function routeError(error: unknown, path: ReadonlyArray<string | number>, context: MapContext): ConnectorError {
  if (isConnectorError(error)) return relocated(error, at(context, path));
  return new ConnectorError('EXPRESSION_EVALUATION', error instanceof Error ? error.message : String(error), { location: at(context, path), cause: error });
}

/**
 * A failure of the stream's pipeline on what a route selected, at the key to fix: the stream's
 * `filter` or `map`, or the route's `record` when what it selected is not an object (the pipeline
 * names `records`, which a webhook route does not use). Neither its message nor its hint quotes the
 * record or a value of it (the kind of value instead): the text is stored with the delivery and
 * logged, and payloads stay out of both. (JSONata's own messages may still quote a value they met.)
 */
function pipelineError(error: unknown, stream: string, route: ReadonlyArray<string | number>, context: MapContext): ConnectorError {
  const record = `${route.join('.')}.record`;
  if (!isConnectorError(error)) return routeError(error, [...route, 'record'], context);
  const key = error.context['key'];
  const gave = error.context['gave'];
  if (key === 'filter' || key === 'map') {
    const message = typeof gave === 'string' ? `stream ${stream}: \`${key}\` gave ${gave}, not an object` : error.message;
    return new ConnectorError(error.code, message, {
      location: at(context, ['streams', stream, key]), hint: `Check streams.${stream}.${key} against the records ${record} selects in this delivery's payload.`, context: error.context, cause: error,
    });
  }
  if (key === 'records') {
    return new ConnectorError(error.code, `stream ${stream}: ${record} selected ${typeof gave === 'string' ? gave : 'a value'}, which is not an object`, {
      location: at(context, [...route, 'record']), hint: `Make ${record} select objects, or give stream ${stream} a \`map\` that builds one, e.g. map: '{ "value": $ }'.`, context: error.context, cause: error,
    });
  }
  return routeError(error, [...route, 'record'], context);
}

/**
 * What a failed mapping stores (the delivery's `error`, shown by the admin API) and logs: the
 * one-line form of the error (the key's file:line:col, what failed, how to fix it, the code), with
 * the connection's secret values masked. An expression that quotes the config must not put a
 * secret into the database (audit 12, #5); the logger masks them, the stored text did not.
 */
export function failureText(error: unknown, secrets: readonly string[]): string {
  const text = isConnectorError(error) ? error.format() : error instanceof Error ? error.message : String(error);
  return createRedactor(secrets.filter((secret) => secret.length >= MIN_MASKED_LENGTH))(text);
}
