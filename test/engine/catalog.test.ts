import { afterEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import type { ConfiguredCatalog } from '../../runtime/protocol/messages.js';
import { createConnector } from '../../runtime/sync/index.js';
import { errors, issues, read, records, startServer, states, type TestServer } from './support.js';

let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const yaml = `name: test
version: 1.0.0
spec: { type: object }
requester: { url_base: "{{ config.base_url }}" }
check: { stream: second }
streams:
  first:
    primary_key: id
    cursor_field: updated_at
    schema: { type: object, properties: { id: { type: integer } } }
    request: { path: /first }
    incremental: {}
  second:
    primary_key: id
    schema: { type: object }
    request: { path: /second }
`;
const configured = (name: string, sync_mode: 'full_refresh' | 'incremental') =>
  ({ stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode, destination_sync_mode: 'append' }) as ConfiguredCatalog['streams'][number];

describe('read with a catalog', () => {
  it('reads the catalog’s streams in its order and mode', async () => {
    server = await startServer(({ path }) => ({ body: path === '/first' ? issues(2) : issues(1) }));
    const { messages } = await read(yaml, { base_url: server.url }, { catalog: { streams: [configured('second', 'full_refresh'), configured('first', 'full_refresh')] } });
    expect(messages.filter((m) => m.type === 'RECORD').map((m) => m.type === 'RECORD' && m.record.stream)).toEqual(['second', 'first', 'first']);
    expect(states(messages)).toEqual([]); // full refresh: no cursor state
  });

  it('an unknown stream is a CATALOG_INVALID config error', async () => {
    server = await startServer(() => ({ body: [] }));
    const { messages } = await read(yaml, { base_url: server.url }, { catalog: { streams: [configured('nope', 'full_refresh')] } });
    expect(errors(messages)).toEqual([expect.objectContaining({ internal_message: 'CATALOG_INVALID', failure_type: 'config_error' })]);
    expect(records(messages)).toEqual([]);
  });
});

describe('discover and check', () => {
  it('discover lists streams with modes, cursor and keys', () => {
    const connector = createConnector({ manifest: parseManifest(yaml), config: {} });
    expect(connector.discover()).toEqual({
      type: 'CATALOG',
      catalog: {
        streams: [
          { name: 'first', json_schema: { type: 'object', properties: { id: { type: 'integer' } } }, supported_sync_modes: ['full_refresh', 'incremental'], source_defined_cursor: true, default_cursor_field: ['updated_at'], source_defined_primary_key: [['id']] },
          { name: 'second', json_schema: { type: 'object' }, supported_sync_modes: ['full_refresh'], source_defined_primary_key: [['id']] },
        ],
      },
    });
  });

  it('check with `stream` reads that stream’s first page only', async () => {
    server = await startServer(({ path }) => ({ body: path === '/second' ? issues(1) : [] }));
    const connector = createConnector({ manifest: parseManifest(yaml), config: { base_url: server.url }, connectionId: 'check-stream' });
    expect(await connector.check()).toEqual({ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } });
    expect(server.requests.map((r) => r.path)).toEqual(['/second']);
  });
});
