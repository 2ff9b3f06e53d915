import { MANIFEST_REF, type JsonSchema } from '../../runtime/manifest/json-schema.js';
import { SECTION_EXAMPLES } from './examples.js';

/**
 * Renders docs/manifest-reference.md from the manifest JSON Schema: one table per component (every
 * key with its type, default and description) and an example per top-level section.
 */

const REF = '#/definitions/';

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function anchor(name: string): string {
  return name.toLowerCase();
}

function refName(schema: JsonSchema): string | undefined {
  const ref = schema['$ref'];
  return typeof ref === 'string' && ref.startsWith(REF) ? ref.slice(REF.length) : undefined;
}

/** The editors' schema lets components be `$ref`s (anyOf [..., ManifestRef]); the docs show the component. */
function unwrapRefAlternative(schema: JsonSchema): JsonSchema {
  const anyOf = schema['anyOf'];
  if (!Array.isArray(anyOf) || !anyOf.some((branch) => isObject(branch) && refName(branch) === MANIFEST_REF)) return schema;
  const rest = anyOf.filter((branch) => !(isObject(branch) && refName(branch) === MANIFEST_REF));
  const { anyOf: _drop, ...others } = schema;
  if (rest.length === 1 && isObject(rest[0])) return { ...rest[0], ...others };
  return { ...others, anyOf: rest };
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${text.replace(/`/g, 'ˋ')}\``;
}

/** A short type for a table cell: links to components, literal choices, lists and maps. */
export function typeOf(input: unknown): string {
  if (!isObject(input)) return 'any';
  const schema = unwrapRefAlternative(input);
  const name = refName(schema);
  if (name) return `[${name}](#${anchor(name)})`;
  if ('const' in schema) return code(schema['const']);
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf)) return anyOf.map(typeOf).join(' | ');
  const expr = schema['x-expr'];
  if (expr === 'template') return 'template';
  if (expr === 'expression') return 'expression';
  const type = schema['type'];
  if (type === 'array') return `list of ${typeOf(schema['items'])}`;
  if (type === 'object' && isObject(schema['patternProperties'])) {
    const [pattern, value] = Object.entries(schema['patternProperties'])[0] ?? ['', {}];
    const key = pattern === '^(.*)$' ? 'name' : `name (${code(pattern)})`;
    return `map of ${key} → ${typeOf(value)}`;
  }
  if (type === 'object') return 'mapping';
  if (typeof type === 'string') return type;
  return 'any';
}

function describe(schema: JsonSchema): string {
  const parts: string[] = [];
  if (typeof schema['description'] === 'string') parts.push(schema['description']);
  const constraints: string[] = [];
  if (schema['minimum'] !== undefined) constraints.push(`≥ ${String(schema['minimum'])}`);
  if (schema['maximum'] !== undefined) constraints.push(`≤ ${String(schema['maximum'])}`);
  if (schema['minItems'] !== undefined) constraints.push(`at least ${String(schema['minItems'])} item(s)`);
  if (typeof schema['pattern'] === 'string') constraints.push(`matches ${code(schema['pattern'])}`);
  if (constraints.length > 0) parts.push(`(${constraints.join(', ')})`);
  return parts.join(' ');
}

function table(schema: JsonSchema, definitions: JsonSchema): string {
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as string[]) : []);
  const rows = Object.entries(properties).map(([key, raw]) => {
    const property = unwrapRefAlternative(isObject(raw) ? raw : {});
    const target = refName(property);
    const defaultValue = 'default' in property ? code(property['default']) : '';
    const definition = target ? definitions[target] : undefined;
    const text = describe(property) || (isObject(definition) ? describe(definition) : '');
    return `| \`${key}\` | ${cell(typeOf(property))} | ${required.has(key) ? 'yes' : ''} | ${cell(defaultValue)} | ${cell(text)} |`;
  });
  return ['| key | type | required | default | description |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Components grouped by the union they belong to, for "one of" overviews. */
function unions(schema: JsonSchema): { title: string; description: string; members: string[] }[] {
  const found: { title: string; description: string; members: string[] }[] = [];
  const seen = new Set<string>();
  const visit = (node: unknown, title: string): void => {
    if (Array.isArray(node)) return node.forEach((item) => visit(item, title));
    if (!isObject(node)) return;
    const anyOf = node['anyOf'];
    if (Array.isArray(anyOf)) {
      const members = anyOf.filter(isObject).map(refName).filter((n): n is string => n !== undefined && n !== MANIFEST_REF);
      const key = members.join(',');
      if (members.length > 1 && !seen.has(key)) {
        seen.add(key);
        found.push({ title, description: typeof node['description'] === 'string' ? node['description'] : '', members });
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'default' && key !== 'const') visit(value, key);
  };
  visit(schema, 'manifest');
  return found;
}

export function renderReference(schema: JsonSchema): string {
  const definitions = isObject(schema['definitions']) ? schema['definitions'] : {};
  const out: string[] = [
    '<!-- Generated by scripts/gen-schema.ts from runtime/manifest/schema.ts: edit the schema and run `npm run gen`. -->',
    '# Manifest reference',
    '',
    'Every key of a connector manifest. The JSON Schema is [schemas/manifest.schema.json](../schemas/manifest.schema.json);',
    'put `# yaml-language-server: $schema=../schemas/manifest.schema.json` at the top of a manifest for completion in editors.',
    '',
    '- **template**: a string that may hold `{{ expr }}` parts (JSONata). A string that is exactly one `{{ expr }}` keeps the',
    '  value type (number, list, object). Variables: `config`, `partition`, `state`, `cursor`, `page`, `response`, `headers`, `status`, `now`.',
    '- **expression**: a bare JSONata expression (`records`, `map`, `filter`, `when`...).',
    '- Keys with a default may be left out; the loader fills them in. Expressions are compiled when the manifest loads,',
    '  and every problem is reported as `file:line:col: message`.',
    '- `$ref: "#/definitions/<name>"` anywhere (except inside `spec`) is replaced by that definition; keys beside the `$ref`',
    '  override the definition\'s keys.',
    '',
    '## Top level',
    '',
    typeof schema['description'] === 'string' ? schema['description'] : '',
    '',
    table(schema, definitions),
    '',
  ];
  for (const example of SECTION_EXAMPLES) {
    out.push(`### Example: \`${example.key}\``, '', '```yaml', example.yaml, '```', '');
  }
  const groups = unions(schema);
  if (groups.length > 0) {
    out.push('## Choices', '', 'Keys whose value is one of several components, selected by its `type` (or, for partitions, by its keys).', '');
    for (const group of groups) {
      out.push(`- \`${group.title}\`: ${group.members.map((m) => `[${m}](#${anchor(m)})`).join(', ')}. ${group.description}`);
    }
    out.push('');
  }
  out.push('## Components', '');
  for (const [name, raw] of Object.entries(definitions)) {
    if (name === MANIFEST_REF || !isObject(raw)) continue;
    out.push(`### ${name}`, '');
    if (typeof raw['description'] === 'string') out.push(raw['description'], '');
    if (isObject(raw['properties'])) out.push(table(raw, definitions), '');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
