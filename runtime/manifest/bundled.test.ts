import { describe, expect, it } from 'vitest';
import { loadManifest } from './load.js';
import { bundledManifestNames } from './resolve-path.js';

// `npm test` validates every manifest shipped in manifests/ (by name, as users call them).
describe('bundled manifests', () => {
  const names = bundledManifestNames();
  it('there is at least one', () => {
    expect(names).toContain('github');
  });
  for (const name of names) {
    it(`manifests/${name} loads without problems`, async () => {
      const manifest = await loadManifest(name).catch((error: unknown) => {
        const lines = (error as { formatAll?: () => string }).formatAll?.() ?? String(error);
        throw new Error(`manifests/${name} is invalid:\n${lines}`);
      });
      expect(manifest.node.name).toBeTruthy();
    });
  }
});
