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
