import type { SecretPath } from '../config/index.js';

/** The config without its secret values (what the admin API returns): keys removed, array items nulled. */
export function withoutSecrets(config: Record<string, unknown>, paths: readonly SecretPath[]): Record<string, unknown> {
  const copy = structuredClone(config);
  for (const path of paths) {
    let node: unknown = copy;
    for (const part of path.slice(0, -1)) node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[part] : undefined;
    const last = path[path.length - 1]!;
    if (Array.isArray(node)) node[last as number] = null;
    else if (node && typeof node === 'object') delete (node as Record<string | number, unknown>)[last];
  }
  return copy;
}

/** How the admin API names a secret's place: `credentials.token`, `tokens.0`. */
export const describeSecretPath = (path: SecretPath): string => path.join('.');
