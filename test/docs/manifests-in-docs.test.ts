import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseManifest } from '../../runtime/index.js';
import { fencedBlocks, markdownFiles, read } from './markdown.js';

const root = resolve(import.meta.dirname, '..', '..');
const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

/** Every ```yaml block that is a whole manifest (it has `name` and `streams`), with where it is. */
const manifests = files.flatMap((file) =>
  fencedBlocks(read(file))
    .filter((block) => block.lang === 'yaml')
    .filter((block) => {
      const value = parseYaml(block.text) as unknown;
      return typeof value === 'object' && value !== null && 'name' in value && 'streams' in value;
    })
    .map((block) => [`${relative(root, file)}:${block.line}`, block.text] as const),
);

describe('whole manifests shown in README.md and docs/**/*.md', () => {
  it('there are some', () => expect(manifests.length).toBeGreaterThan(1));
  it.each(manifests)('%s validates', (where, text) => {
    expect(() => parseManifest(text, where)).not.toThrow();
  });
});
