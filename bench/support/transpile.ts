import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * Strip types from bench scripts that run as child processes, so they start with plain `node` (no tsx
 * loader thread inflating their RSS or start-up) and are measured like the compiled engine. Each file
 * keeps its path relative to the repository root under `outRoot`, so relative imports still resolve;
 * the repository's package.json (`"type": "module"`) makes the output ESM.
 */
export function transpileForNode(repoRoot: string, outRoot: string, files: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of files) {
    const source = resolve(repoRoot, file);
    const target = join(outRoot, relative(repoRoot, source)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
      fileName: source,
    });
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    out.set(file, target);
  }
  return out;
}
