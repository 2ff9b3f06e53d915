import { ConnectorError } from '../errors/index.js';
import type { ManifestNode, StreamNode } from '../manifest/schema.js';
import type { AirbyteStream, ConfiguredCatalog, SyncMode } from '../protocol/messages.js';

/** A stream supports incremental reads when it declares a cursor field and an `incremental` block. */
export function supportsIncremental(stream: StreamNode): boolean {
  return stream.cursor_field !== undefined && stream.incremental !== undefined;
}

export function airbyteStream(name: string, stream: StreamNode): AirbyteStream {
  const keys = typeof stream.primary_key === 'string' ? [stream.primary_key] : [...stream.primary_key];
  const incremental = supportsIncremental(stream);
  return {
    name,
    json_schema: (stream.schema as Record<string, unknown> | undefined) ?? { type: 'object' },
    supported_sync_modes: incremental ? ['full_refresh', 'incremental'] : ['full_refresh'],
    ...(stream.cursor_field ? { source_defined_cursor: true, default_cursor_field: stream.cursor_field.split('.') } : {}),
    source_defined_primary_key: keys.map((key) => key.split('.')),
  };
}

export interface PlannedStream {
  name: string;
  mode: SyncMode;
}

/** Streams to read, in catalog order; without a catalog every stream, incremental where possible. */
export function planStreams(manifest: ManifestNode, catalog: ConfiguredCatalog | undefined): PlannedStream[] {
  if (!catalog) return Object.entries(manifest.streams).map(([name, stream]) => ({ name, mode: supportsIncremental(stream) ? 'incremental' : 'full_refresh' }));
  const known = Object.keys(manifest.streams);
  const unknown = catalog.streams.map((s) => s.stream?.name).filter((name) => !name || !known.includes(name));
  if (unknown.length > 0) {
    throw new ConnectorError('CATALOG_INVALID', `the catalog names stream(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')} that manifest "${manifest.name}" does not define (it has ${known.join(', ')})`, {
      hint: 'Use `discover` to list the streams.',
    });
  }
  return catalog.streams.map((configured) => {
    const stream = manifest.streams[configured.stream.name]!;
    const mode: SyncMode = configured.sync_mode === 'incremental' && supportsIncremental(stream) ? 'incremental' : 'full_refresh';
    return { name: configured.stream.name, mode };
  });
}
