import type { ValidateFunction } from 'ajv';
import { ConnectorError } from '../errors/index.js';
import { createSpecAjv } from '../manifest/index.js';
import type { LoadedManifest } from '../manifest/index.js';

const validators = new WeakMap<LoadedManifest, ValidateFunction>();

/**
 * Validate a connection config against the manifest's `spec` and return a copy with defaults applied.
 * Throws CONFIG_INVALID naming the offending field (never its value: it may be a secret).
 */
export function validateConfig(manifest: LoadedManifest, config: unknown, connectionId: string): Record<string, unknown> {
  let validate = validators.get(manifest);
  if (!validate) {
    validate = createSpecAjv().compile(manifest.node.spec as object);
    validators.set(manifest, validate);
  }
  const copy = structuredClone(config ?? {}) as Record<string, unknown>;
  if (!validate(copy)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(config)'} ${e.message ?? 'is invalid'}`).join('; ');
    throw new ConnectorError('CONFIG_INVALID', `connection ${connectionId}: config does not match the ${manifest.node.name} spec: ${problems}`, {
      hint: `See the spec with \`gwi-connectors spec ${manifest.node.name}\`.`,
      context: { connection: connectionId },
    });
  }
  return copy;
}

/** Dotted paths of the spec properties marked `secret: true` (nested objects included). */
export function secretFields(spec: unknown, prefix = ''): string[] {
  const out: string[] = [];
  const properties = (spec as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!properties || typeof properties !== 'object') return out;
  for (const [name, node] of Object.entries(properties)) {
    const path = prefix ? `${prefix}.${name}` : name;
    const schema = node as { secret?: boolean; airbyte_secret?: boolean; type?: unknown };
    if (schema.secret === true || schema.airbyte_secret === true) out.push(path);
    else out.push(...secretFields(schema, path));
  }
  return out;
}

/** The config without its secret fields (what the admin API returns). */
export function withoutSecrets(config: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const copy = structuredClone(config);
  for (const path of fields) {
    const parts = path.split('.');
    let node: unknown = copy;
    for (const part of parts.slice(0, -1)) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    if (node && typeof node === 'object') delete (node as Record<string, unknown>)[parts[parts.length - 1]!];
  }
  return copy;
}

/** Every secret value in a config (strings at the secret paths), for log redaction. */
export function secretValuesOf(config: Record<string, unknown>, fields: readonly string[]): string[] {
  const out: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  for (const path of fields) {
    let node: unknown = config;
    for (const part of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    collect(node);
  }
  return out;
}
