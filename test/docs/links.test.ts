import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkTargets, markdownFiles, read } from './markdown.js';

const root = resolve(import.meta.dirname, '..', '..');
const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

describe('relative links in README.md and docs/**/*.md', () => {
  it.each(files.map((file) => [relative(root, file), file]))('%s: every relative link points to an existing file', (_name, file) => {
    const broken = linkTargets(read(file))
      .filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
      .filter(({ target }) => !existsSync(resolve(dirname(file), decodeURIComponent(target.replace(/#.*$/, '')))))
      .map(({ target, line }) => `line ${line}: ${target}`);
    expect(broken).toEqual([]);
  });
});
