import { readFile } from 'node:fs/promises';
import { ConnectorError } from '../errors/index.js';
import { createSpecAjv, manifestSchemaValidator } from './ajv.js';
import { crossReferenceProblems } from './cross-refs.js';
import { applyDefaults } from './defaults.js';
import { webhookProblems } from '../webhooks/manifest-checks.js';
import { embeddedTemplateProblems } from './embedded-templates.js';
import { deepFreeze } from './freeze.js';
import { manifestValidationSchema } from './json-schema.js';
import type { LoadedManifest } from './loaded-manifest.js';
import { resolveRefs } from './refs.js';
import { resolveManifestPath } from './resolve-path.js';
import type { ManifestNode } from './schema.js';
import { schemaProblems } from './schema-errors.js';
import { parseYaml } from './source-map.js';
import { ManifestValidationError } from './validation-error.js';

/**
 * Load a manifest by path or bundled name (`github` → manifests/github.yaml). Throws
 * MANIFEST_NOT_FOUND, or a ManifestValidationError listing every problem.
 */
export async function loadManifest(pathOrName: string): Promise<LoadedManifest> {
  const file = resolveManifestPath(pathOrName);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConnectorError('MANIFEST_NOT_FOUND', `cannot read manifest ${file}: ${(error as Error).message}`, { location: { file }, cause: error });
  }
  return parseManifest(text, file);
}

/**
 * Parse (YAML with positions) → resolve `$ref` → apply defaults → validate against the schema
 * (compiling every expression) → cross-reference checks → deep-freeze. All problems are collected.
 */
export function parseManifest(text: string, file = '<inline>'): LoadedManifest {
  const parsed = parseYaml(text, file);
  if (parsed.problems.length > 0) throw new ManifestValidationError(parsed.problems);
  const { source } = parsed;
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new ManifestValidationError([
      new ConnectorError('MANIFEST_SCHEMA', 'a manifest must be a YAML mapping (name:, version:, spec:, requester:, streams:...)', {
        location: source.locate(parsed.value, []),
        hint: 'See docs/manifest-reference.md.',
      }),
    ]);
  }

  const refs = resolveRefs(parsed.value, source);
  const tree = refs.value;
  applyDefaults(manifestValidationSchema(), tree);
  const validate = manifestSchemaValidator();
  const problems = [...refs.problems];
  if (!validate(tree)) problems.push(...schemaProblems(validate.errors ?? [], tree, source, refs.broken));
  problems.push(...embeddedTemplateProblems(tree, source));
  problems.push(...crossReferenceProblems(tree, source, createSpecAjv()));
  problems.push(...webhookProblems(tree, source));
  if (problems.length > 0) throw new ManifestValidationError(sortProblems(dedupe(problems)));

  const node = deepFreeze(tree) as ManifestNode;
  return Object.freeze({ node, file, text, locate: (path: ReadonlyArray<string | number>) => source.locate(node, path) });
}

function dedupe(problems: ConnectorError[]): ConnectorError[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = problem.format();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortProblems(problems: ConnectorError[]): ConnectorError[] {
  return [...problems].sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
}
