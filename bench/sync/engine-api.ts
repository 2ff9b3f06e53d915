/**
 * The engine through its library API instead of the CLI: loadManifest + createConnector + read(),
 * RECORD lines written once per page-sized batch. The bench uses it with `--engine api` (before the
 * CLI's `read` exists, and to tell engine cost from CLI cost). Imports the compiled engine in dist/.
 *
 * argv: <repo root> <manifest> <config.json>.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type * as ManifestModule from '../../runtime/manifest/index.js';
import type * as SyncModule from '../../runtime/sync/index.js';

const [root, manifestFile, configFile] = process.argv.slice(2) as [string, string, string];
const { loadManifest } = (await import(`${root}/dist/runtime/manifest/index.js`)) as typeof ManifestModule;
const { createConnector } = (await import(`${root}/dist/runtime/sync/index.js`)) as typeof SyncModule;

const manifest = await loadManifest(manifestFile);
const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
const connector = createConnector({ manifest, config });

const BATCH = 100;
let out = '';
let pending = 0;
for await (const message of connector.read()) {
  out += `${JSON.stringify(message)}\n`;
  if (++pending < BATCH) continue;
  if (!process.stdout.write(out)) await once(process.stdout, 'drain');
  out = '';
  pending = 0;
}
process.stdout.write(out);
await connector.close();
