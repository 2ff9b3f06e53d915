import { ConnectorError, isConnectorError, relocated, type SourceLocation } from '../errors/index.js';
import { compileExpression } from '../expressions/index.js';
import { createRedactor } from '../secrets/index.js';
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
    // The stream's own filter, map or primary key, on what this route's `record` selected.
    throw routeError(error, [...path, route.record === undefined ? 'stream' : 'record'], context, `the records it selected, in stream ${route.stream}: `);
  }
}

/**
 * A route's failure at the key it comes from (`webhooks.events.<event>.<key>`, with its file and
 * line when known): where a dispatch error is stored and logged, it then says what to fix.
 */
function routeError(error: unknown, path: ReadonlyArray<string | number>, context: MapContext, prefix = ''): ConnectorError {
  const location = { ...context.locate?.(path), path: path.join('.') };
  if (isConnectorError(error)) return relocated(error, location, prefix);
  return new ConnectorError('EXPRESSION_EVALUATION', `${prefix}${error instanceof Error ? error.message : String(error)}`, { location, cause: error });
}

/**
 * What a failed mapping stores (the delivery's `error`, shown by the admin API) and logs: the
 * one-line form of the error (the key's file:line:col, what failed, how to fix it, the code), with
 * the connection's secret values masked. An expression that quotes the config must not put a
 * secret into the database (audit 12, #5); the logger masks them, the stored text did not.
 */
export function failureText(error: unknown, secrets: readonly string[]): string {
  const text = isConnectorError(error) ? error.format() : error instanceof Error ? error.message : String(error);
  return createRedactor(secrets.filter((secret) => secret.length >= 4))(text);
}
