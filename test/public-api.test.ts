import { describe, expect, it } from 'vitest';
import * as api from '../runtime/index.js';

describe('the package entry point', () => {
  it('exports the engine, the webhook functions, the service and the error catalogue', () => {
    for (const name of ['loadManifest', 'parseManifest', 'resolveConfig', 'createConnector', 'verifySignature', 'mapDelivery', 'createService', 'ConnectorError']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('loads a manifest, resolves its config and discovers through the public API alone', async () => {
    const manifest = api.parseManifest(
      [
        'name: inline',
        'version: 1.0.0',
        'spec: { type: object, properties: { n: { type: integer, default: 3 } } }',
        'requester: { url_base: "http://127.0.0.1:9" }',
        'streams:',
        '  numbers:',
        '    primary_key: id',
        '    schema: { type: object }',
        '    request: { path: /unused }',
        '    pagination: { type: none }',
      ].join('\n'),
      'inline.yaml',
    );
    const config = api.resolveConfig({}, manifest);
    expect(config).toEqual({ n: 3 });
    const connector = api.createConnector({ manifest, config });
    expect(connector.discover()).toMatchObject({ type: 'CATALOG', catalog: { streams: [{ name: 'numbers' }] } });
    await connector.close();
  });
});
