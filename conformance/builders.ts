import type { ManifestNode } from '../runtime/manifest/schema.js';
import type { ConfiguredCatalog, StreamState, SyncMode } from '../runtime/protocol/messages.js';

type Schema = Record<string, unknown>;

export interface BuildConfigOptions {
  /** Values to use as they are (e.g. a real token when recording). */
  overrides?: Record<string, unknown>;
}

/**
 * A connection config that satisfies a manifest's `spec` without real credentials: defaults and
 * examples where the spec gives them, `test-secret-<field>` for every `secret: true` field, and
 * placeholder values of the right type for other required fields (two items for lists, so that
 * partitioned streams have two partitions).
 */
export function buildConfig(manifest: Pick<ManifestNode, 'spec'>, options: BuildConfigOptions = {}): Record<string, unknown> {
  const config = buildObject(manifest.spec as Schema, '') as Record<string, unknown>;
  return { ...config, ...options.overrides };
}

function buildObject(schema: Schema, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = requiredOf(schema);
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const value = valueFor(sub, `${prefix}${name}`, required.has(name));
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Required keys, including those that `allOf`/`anyOf`/`oneOf` branches require (the first branch of
 * an alternative is taken: "a token or an OAuth app" gets a token).
 */
function requiredOf(schema: Schema): Set<string> {
  const out = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const branch = (s: Schema) => {
    for (const key of (Array.isArray(s.required) ? s.required : []) as string[]) out.add(key);
    for (const k of ['anyOf', 'oneOf'] as const) if (Array.isArray(s[k]) && s[k].length > 0) branch(s[k][0] as Schema);
    if (Array.isArray(s.allOf)) for (const part of s.allOf as Schema[]) branch(part);
  };
  branch({ ...schema, required: [] });
  return out;
}

function valueFor(schema: Schema, name: string, required: boolean): unknown {
  if (schema.secret === true) return schema.type === 'object' ? buildObject(schema, `${name}.`) : `test-secret-${name.replace(/\./g, '-')}`;
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (!required) return undefined;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (Array.isArray(schema.type) ? (schema.type as string[])[0] : schema.type) {
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'array': {
      const items = (schema.items ?? { type: 'string' }) as Schema;
      return [1, 2].map((n) => (items.type === 'string' || items.type === undefined ? `example-${n}/item-${n}` : valueFor(items, `${name}${n}`, true)));
    }
    case 'object':
      return buildObject(schema, `${name}.`);
    default:
      return schema.format === 'uri' ? 'https://example.invalid' : schema.format === 'date-time' ? '2024-01-01T00:00:00Z' : `test-${name}`;
  }
}

/** The names of the spec's `secret: true` fields (top level and nested, dotted). */
export function secretFields(spec: unknown, prefix = ''): string[] {
  const schema = (spec ?? {}) as Schema;
  const out: string[] = [];
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    if (sub.secret === true) out.push(`${prefix}${name}`);
    if (sub.type === 'object') out.push(...secretFields(sub, `${prefix}${name}.`));
  }
  return out;
}

export interface BuildCatalogOptions {
  /** Only these streams (default: all). */
  streams?: readonly string[];
  /** incremental where the stream supports it (default), or full_refresh for every stream. */
  syncMode?: SyncMode;
}

/** A configured catalog for a manifest's streams. */
export function buildCatalog(manifest: Pick<ManifestNode, 'streams'>, options: BuildCatalogOptions = {}): ConfiguredCatalog {
  const names = options.streams ?? Object.keys(manifest.streams);
  return {
    streams: names.map((name) => {
      const stream = manifest.streams[name];
      if (!stream) throw new Error(`buildCatalog: the manifest has no stream "${name}"`);
      const incremental = Boolean(stream.cursor_field && stream.incremental);
      const keys = (Array.isArray(stream.primary_key) ? stream.primary_key : [stream.primary_key]).map((k) => k.split('.'));
      const mode: SyncMode = options.syncMode === 'full_refresh' || !incremental ? 'full_refresh' : 'incremental';
      return {
        stream: {
          name,
          json_schema: stream.schema as Record<string, unknown>,
          supported_sync_modes: incremental ? ['full_refresh', 'incremental'] : ['full_refresh'],
          ...(incremental ? { source_defined_cursor: true, default_cursor_field: stream.cursor_field!.split('.') } : {}),
          source_defined_primary_key: keys,
        },
        sync_mode: mode,
        destination_sync_mode: mode === 'incremental' ? 'append_dedup' : 'overwrite',
        ...(mode === 'incremental' ? { cursor_field: stream.cursor_field!.split('.') } : {}),
        primary_key: keys,
      };
    }),
  };
}

/** A STATE input for one stream. */
export function buildState(stream: string, streamState: Record<string, unknown>): StreamState {
  return { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: streamState } };
}

/**
 * The same state with every cursor moved far into the future (ISO dates → 2999, numbers → 10^12):
 * a read from it must yield no records.
 */
export function futureState(state: StreamState): StreamState {
  const bump = (value: unknown, key: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => bump(v, key));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, bump(v, k)]));
    if (key !== 'cursor') return value;
    if (typeof value === 'number') return value > 1e11 ? 32503680000000 : 32503680000;
    if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value.length <= 10 ? '2999-01-01' : '2999-01-01T00:00:00Z';
    return value;
  };
  const streamState = bump(state.stream.stream_state, '') as Record<string, unknown>;
  // An empty state (no cursor yet) still says "from the future".
  if (!('cursor' in streamState)) streamState.cursor = '2999-01-01T00:00:00Z';
  if (streamState.partitions) streamState.evicted = true;
  return buildState(state.stream.stream_descriptor.name, streamState);
}
