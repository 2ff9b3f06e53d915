import { ConnectorError } from '../errors/index.js';
import type { ConfiguredCatalog } from './messages.js';

/**
 * A configured catalog from a file: `{ "streams": [{ "stream": { "name" }, "sync_mode", ... }] }`.
 * Only the shape the engine relies on is checked; everything else passes through untouched.
 */
export function normaliseCatalogInput(raw: unknown, source = 'catalog'): ConfiguredCatalog {
  const streams = (raw as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) {
    throw new ConnectorError('CATALOG_INVALID', `${source} has no "streams" array`, {
      hint: 'Write { "streams": [{ "stream": { "name": "issues" }, "sync_mode": "incremental", "destination_sync_mode": "append" }] }; `discover` lists the streams.',
    });
  }
  streams.forEach((entry: unknown, index) => {
    const configured = entry as { stream?: { name?: unknown }; sync_mode?: unknown } | null;
    if (typeof configured?.stream?.name !== 'string') {
      throw new ConnectorError('CATALOG_INVALID', `${source}: streams[${index}] has no stream.name`, { hint: 'Each entry needs { "stream": { "name": ... }, "sync_mode": ... }.' });
    }
    if (configured.sync_mode !== 'full_refresh' && configured.sync_mode !== 'incremental') {
      throw new ConnectorError('CATALOG_INVALID', `${source}: streams[${index}] (${configured.stream.name}) has sync_mode ${JSON.stringify(configured.sync_mode)}`, {
        hint: 'Use "full_refresh" or "incremental".',
      });
    }
  });
  return raw as ConfiguredCatalog;
}
