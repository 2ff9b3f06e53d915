import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { bundledManifestNames, loadManifest, type LoadedManifest } from '../manifest/index.js';

/**
 * `--manifests DIR|FILE[,…]` for serve and worker: the bundled manifests plus the user's own (a
 * user's manifest with a bundled name replaces it). Undefined when none are given, so the service
 * loads the bundled set itself. A user's manifest that does not load stops start-up: it was asked for.
 */
export async function withExtraManifests(option: string | undefined): Promise<LoadedManifest[] | undefined> {
  if (!option) return undefined;
  const byName = new Map<string, LoadedManifest>();
  for (const name of bundledManifestNames()) {
    const manifest = await loadManifest(name);
    byName.set(manifest.node.name, manifest);
  }
  for (const file of option.split(',').flatMap((entry) => manifestFiles(entry.trim()))) {
    const manifest = await loadManifest(file);
    byName.set(manifest.node.name, manifest);
  }
  return [...byName.values()];
}

function manifestFiles(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => ['.yaml', '.yml'].includes(extname(name)))
    .sort()
    .map((name) => join(path, name));
}
