import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../runtime/manifest/index.js';
import { createConnector } from '../../runtime/sync/index.js';
import { manifest, startServer, type TestServer } from './support.js';

let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const stream = '    request: { path: /items }';

describe('Connector.probe(): the manifest’s health_check', () => {
  it('probes health_check.path once with the connection’s auth and reports it up or down', async () => {
    let healthy = true;
    server = await startServer(({ path }) => (path === '/status' ? { status: healthy ? 200 : 503, body: {} } : { body: [] }));
    const yaml = manifest(stream, 'auth: { type: bearer, token: "{{ config.token }}" }\nhealth_check: { path: /status }');
    const connector = createConnector({ manifest: parseManifest(yaml), config: { base_url: server.url, token: 'tok-probe' }, connectionId: randomUUID() });
    expect(await connector.probe()).toMatchObject({ status: 'ok', http_status: 200 });
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer tok-probe');
    healthy = false;
    expect(await connector.probe()).toMatchObject({ status: 'down', http_status: 503 });
    expect(server.requests.filter((r) => r.path === '/status')).toHaveLength(2);
    await connector.close();
  });

  it('is undefined when the manifest declares no health_check', async () => {
    const connector = createConnector({ manifest: parseManifest(manifest(stream)), config: { base_url: 'http://127.0.0.1:9' }, connectionId: randomUUID() });
    expect(await connector.probe()).toBeUndefined();
    await connector.close();
  });
});
