import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, linkTargets, markdownFiles, read } from './markdown.js';

const root = resolve(import.meta.dirname, '..', '..');
const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

/** Why a relative link is broken, or undefined: the file must exist, and a #fragment into Markdown must be a heading. */
function problem(from: string, target: string): string | undefined {
  const [path = '', fragment] = target.split('#', 2);
  const file = path === '' ? from : resolve(dirname(from), decodeURIComponent(path));
  if (!existsSync(file)) return 'no such file';
  if (fragment === undefined || !file.endsWith('.md') || statSync(file).isDirectory()) return undefined;
  return headingAnchors(read(file)).has(fragment) ? undefined : `no heading #${fragment} in ${relative(root, file)}`;
}

describe('relative links in README.md and docs/**/*.md', () => {
  it.each(files.map((file) => [relative(root, file), file]))('%s: every relative link points to an existing file (and heading)', (_name, file) => {
    const broken = linkTargets(read(file))
      .filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .flatMap(({ target, line }) => {
        const why = problem(file, target);
        return why ? [`line ${line}: ${target}: ${why}`] : [];
      });
    expect(broken).toEqual([]);
  });
});
