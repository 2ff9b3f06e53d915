import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectorError } from '../errors/index.js';
import { suggestion } from './levenshtein.js';
import { packageRoot } from './package-root.js';

/** The folder of bundled manifests: <package root>/manifests. */
export function manifestsDir(): string {
  return join(packageRoot(), 'manifests');
}

/** Names of the bundled manifests (file names without .yaml/.yml). */
export function bundledManifestNames(): string[] {
  const dir = manifestsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => file.replace(/\.ya?ml$/, ''))
    .sort();
}

/**
 * A manifest argument is a path to a file, or the name of a bundled manifest (`github` →
 * <package root>/manifests/github.yaml). A path that exists wins over a name.
 */
export function resolveManifestPath(pathOrName: string): string {
  if (existsSync(pathOrName) && statSync(pathOrName).isFile()) return pathOrName;
  const looksLikeName = /^[a-z0-9][a-z0-9_-]*$/.test(pathOrName);
  if (looksLikeName) {
    for (const extension of ['.yaml', '.yml']) {
      const candidate = join(manifestsDir(), `${pathOrName}${extension}`);
      if (existsSync(candidate)) return candidate;
    }
  }
  const names = bundledManifestNames();
  throw new ConnectorError('MANIFEST_NOT_FOUND', `manifest ${JSON.stringify(pathOrName)} not found${looksLikeName ? suggestion(pathOrName, names) : ''}`, {
    hint: `Pass a path to a YAML file${names.length > 0 ? ` or one of: ${names.join(', ')}` : ''}.`,
    location: { file: pathOrName },
  });
}
