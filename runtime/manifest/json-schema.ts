import { Manifest } from './schema.js';

/**
 * Plain JSON Schemas derived from the TypeBox source in schema.ts. Two shapes of the same thing:
 * - `manifestValidationSchema()`: everything inlined, no `$id`, for ajv at load time (error paths are
 *   then plain paths into one tree, which is what the error messages need);
 * - `manifestJsonSchema()`: self-contained draft-07 with named `definitions` + `$ref`, for the committed
 *   schemas/manifest.schema.json that editors (yaml-language-server) read.
 * In both, a key with a `default` is not `required`: the loader fills it in, and an editor should not
 * flag a manifest that leaves it out.
 */

export type JsonSchema = { [key: string]: unknown };

export const GENERATED_COMMENT = 'Generated from runtime/manifest/schema.ts: edit it and run `npm run gen`. Do not edit by hand.';

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** TypeBox schemas carry symbol keys; a JSON round trip keeps only the JSON Schema. */
function plain(schema: unknown): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drop keys that have a default from `required` (recursively). */
function relaxDefaults(schema: unknown): void {
  if (Array.isArray(schema)) {
    schema.forEach(relaxDefaults);
    return;
  }
  if (!isObject(schema)) return;
  const properties = schema['properties'];
  if (isObject(properties) && Array.isArray(schema['required'])) {
    const required = (schema['required'] as string[]).filter((key) => {
      const property = properties[key];
      return !(isObject(property) && 'default' in property);
    });
    if (required.length > 0) schema['required'] = required;
    else delete schema['required'];
  }
  for (const [key, value] of Object.entries(schema)) {
    // `default`, `const` and `examples` hold data, not schemas.
    if (key === 'default' || key === 'const' || key === 'examples' || key === 'enum') continue;
    relaxDefaults(value);
  }
}

function stripIds(schema: unknown): void {
  if (Array.isArray(schema)) return schema.forEach(stripIds);
  if (!isObject(schema)) return;
  delete schema['$id'];
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'default' || key === 'const' || key === 'examples' || key === 'enum') continue;
    stripIds(value);
  }
}

let validationSchema: JsonSchema | undefined;

export function manifestValidationSchema(): JsonSchema {
  if (!validationSchema) {
    const schema = plain(Manifest);
    relaxDefaults(schema);
    stripIds(schema);
    validationSchema = schema;
  }
  return validationSchema;
}

/** Move every named sub-schema (TypeBox `$id`) to `definitions` and point at it with `$ref`. */
function hoist(schema: unknown, definitions: Record<string, JsonSchema>, isRoot: boolean): unknown {
  if (Array.isArray(schema)) return schema.map((item) => hoist(item, definitions, false));
  if (!isObject(schema)) return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$id') continue;
    out[key] = key === 'default' || key === 'const' || key === 'examples' || key === 'enum' ? value : hoist(value, definitions, false);
  }
  const id = schema['$id'];
  if (isRoot || typeof id !== 'string') return out;
  const existing = definitions[id];
  if (existing && JSON.stringify(existing) !== JSON.stringify(out)) {
    throw new Error(`two different schemas share the $id ${JSON.stringify(id)}`);
  }
  definitions[id] = out;
  return { $ref: `#/definitions/${id}` };
}

/** In the editors' schema, any component may also be written as a `$ref` into the manifest's definitions. */
export const MANIFEST_REF = 'ManifestRef';

const manifestRef: JsonSchema = {
  description: 'A reference to a reusable fragment under the manifest’s `definitions`; keys beside `$ref` override the fragment’s keys.',
  type: 'object',
  required: ['$ref'],
  properties: { $ref: { type: 'string', pattern: '^#/definitions/', description: 'E.g. "#/definitions/paged".' } },
};

const refTo = (name: string) => ({ $ref: `#/definitions/${name}` });

/** Let each component-valued key also accept `{ $ref: ... }` (the loader resolves it before validation). */
function allowRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowRefs);
  if (!isObject(schema)) return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'default' || key === 'const' || key === 'examples' || key === 'enum') out[key] = value;
    else if ((key === 'properties' || key === 'patternProperties') && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, withRef(allowRefs(sub))]));
    } else if (key === 'items' && isObject(value)) out[key] = withRef(allowRefs(value));
    else out[key] = allowRefs(value);
  }
  return out;
}

function withRef(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  if (typeof schema['$ref'] === 'string') return { anyOf: [schema, refTo(MANIFEST_REF)] };
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf) && anyOf.some((branch) => isObject(branch) && typeof branch['$ref'] === 'string')) {
    return { ...schema, anyOf: [...anyOf, refTo(MANIFEST_REF)] };
  }
  return schema;
}

export function manifestJsonSchema(): JsonSchema {
  const source = plain(Manifest);
  relaxDefaults(source);
  const definitions: Record<string, JsonSchema> = {};
  const root = allowRefs(hoist(source, definitions, true)) as JsonSchema;
  for (const [name, definition] of Object.entries(definitions)) definitions[name] = allowRefs(definition) as JsonSchema;
  definitions[MANIFEST_REF] = manifestRef;
  const sorted = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
  return { $schema: DRAFT_07, $comment: GENERATED_COMMENT, ...root, definitions: sorted };
}
