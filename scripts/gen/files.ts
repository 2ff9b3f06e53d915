import { join } from 'node:path';
import { manifestJsonSchema } from '../../runtime/manifest/json-schema.js';
import { packageRoot } from '../../runtime/manifest/package-root.js';
import { renderReference } from './reference.js';

export interface GeneratedFile {
  /** Path relative to the package root. */
  path: string;
  content: string;
}

/** Everything `npm run gen` writes. A test compares it with the committed files. */
export function generatedFiles(): GeneratedFile[] {
  const schema = manifestJsonSchema();
  return [
    { path: 'schemas/manifest.schema.json', content: `${JSON.stringify(schema, null, 2)}\n` },
    { path: 'docs/manifest-reference.md', content: renderReference(schema) },
  ];
}

export function absolute(file: GeneratedFile): string {
  return join(packageRoot(), file.path);
}
