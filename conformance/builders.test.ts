import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../runtime/config/index.js';
import { loadManifest } from '../runtime/manifest/index.js';
import { buildCatalog, buildConfig, buildState, futureState, secretFields } from './builders.js';

describe('builders', () => {
  it('buildConfig satisfies a spec with alternatives (github: a token and repositories) without real credentials', async () => {
    const manifest = await loadManifest('github');
    const config = buildConfig(manifest.node);
    expect(config.token).toBe('test-secret-token');
    expect(config.repositories).toHaveLength(2);
    expect(config.base_url).toBe('https://api.github.com');
    expect(() => resolveConfig(config, manifest, { env: {} })).not.toThrow();
    expect(secretFields(manifest.node.spec)).toEqual(expect.arrayContaining(['token', 'webhook_secret', 'oauth.client_secret', 'app.private_key']));
  });

  it('buildConfig keeps overrides as given', async () => {
    const manifest = await loadManifest('conformance/fixtures/good/manifest.yaml');
    expect(buildConfig(manifest.node, { overrides: { projects: ['a'] } })).toMatchObject({ api_token: 'test-secret-api_token', projects: ['a'] });
  });

  it('buildCatalog configures incremental streams incrementally and the rest as full refresh', async () => {
    const manifest = await loadManifest('conformance/fixtures/good/manifest.yaml');
    const catalog = buildCatalog(manifest.node);
    expect(catalog.streams.map((s) => [s.stream.name, s.sync_mode, s.cursor_field])).toEqual([
      ['tickets', 'incremental', ['updated_at']],
      ['users', 'full_refresh', undefined],
    ]);
    expect(buildCatalog(manifest.node, { streams: ['tickets'], syncMode: 'full_refresh' }).streams[0]?.sync_mode).toBe('full_refresh');
  });

  it('futureState moves every cursor past any record', () => {
    const state = buildState('issues', { cursor: '2024-01-01T00:00:00Z', partitions: { '{"repo":"a/b"}': { cursor: '2024-02-01T00:00:00Z' } } });
    expect(futureState(state).stream.stream_state).toEqual({
      cursor: '2999-01-01T00:00:00Z',
      partitions: { '{"repo":"a/b"}': { cursor: '2999-01-01T00:00:00Z' } },
      evicted: true,
    });
    expect(futureState(buildState('n', { cursor: 1700000000 })).stream.stream_state.cursor).toBe(32503680000);
  });
});
