import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isManifestValidationError } from '../manifest/index.js';
import { serve } from './commands/serve.js';
import { withExtraManifests } from './extra-manifests.js';

const example = 'docs/examples/tickets/tickets.yaml';

describe('--manifests for serve and worker', () => {
  it('adds the user manifests to the bundled ones', async () => {
    const names = (await withExtraManifests(example))!.map((m) => m.node.name);
    expect(names).toContain('github');
    expect(names).toContain('tickets');
  });

  it('leaves the bundled set to the service when not given', async () => {
    expect(await withExtraManifests(undefined)).toBeUndefined();
  });

  it('stops start-up on a manifest that does not load, naming its file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'extra-manifests-'));
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nversion: 1.0.0\nspec: { type: object }\nrequester: { url_base: x }\nstreams: {}\nbogus: 1\n');
    const error = await withExtraManifests(dir).catch((e: unknown) => e);
    expect(isManifestValidationError(error) && error.problems.map((p) => p.format()).join('\n')).toMatch(/broken\.yaml:6:1: unknown key "bogus"/);
  });

  it('serve --manifests lists the user connector in the admin API', async () => {
    const data = mkdtempSync(join(tmpdir(), 'serve-manifests-'));
    const running = await serve({ port: '0', host: '127.0.0.1', data, bus: 'local', manifests: example }, { GWI_ADMIN_TOKEN: 'admin-token-0123456789' });
    try {
      const response = await fetch(`${running.url}/api/connectors`, { headers: { authorization: 'Bearer admin-token-0123456789' } });
      expect(response.status).toBe(200);
      expect(JSON.stringify(await response.json())).toContain('"tickets"');
    } finally {
      await running.close();
    }
  });
});
