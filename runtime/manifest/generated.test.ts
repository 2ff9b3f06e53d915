import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exampleManifest } from '../../scripts/gen/examples.js';
import { absolute, generatedFiles } from '../../scripts/gen/files.js';
import { parseManifest } from './load.js';

describe('generated files (npm run gen)', () => {
  for (const file of generatedFiles()) {
    it(`${file.path} is current`, () => {
      const committed = readFileSync(absolute(file), 'utf8');
      expect(committed === file.content, `${file.path} is stale: run npm run gen`).toBe(true);
    });
  }

  it('the reference examples form a valid manifest', () => {
    const manifest = parseManifest(exampleManifest(), 'examples.yaml');
    expect(Object.keys(manifest.node.streams)).toEqual(['issues', 'comments']);
  });
});

describe('schemas/manifest.schema.json for editors', () => {
  const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../schemas/manifest.schema.json', import.meta.url)), 'utf8')) as Record<string, unknown>;
  // A plain draft-07 validator, as an editor would use: no custom keywords, no defaults.
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

  it('is a self-contained draft-07 schema', () => {
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(JSON.stringify(schema)).not.toMatch(/"\$ref":"(?!#\/definitions\/)/);
  });

  it('accepts valid manifests that leave defaults out and use $ref', () => {
    const fixture = readFileSync(fileURLToPath(new URL('./fixtures/good.yaml', import.meta.url)), 'utf8');
    for (const text of [fixture, exampleManifest()]) {
      expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('flags a misspelt key', () => {
    const manifest = parse(exampleManifest()) as Record<string, unknown>;
    expect(validate({ ...manifest, concurency: 2 })).toBe(false);
  });
});
