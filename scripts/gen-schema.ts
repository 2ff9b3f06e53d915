/**
 * `npm run gen`: writes schemas/manifest.schema.json and docs/manifest-reference.md from
 * runtime/manifest/schema.ts (the one source of truth). `--check` only reports stale files.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { absolute, generatedFiles } from './gen/files.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const file of generatedFiles()) {
  const path = absolute(file);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === file.content) continue;
  if (check) {
    stale++;
    process.stderr.write(`stale: ${file.path} (run npm run gen)\n`);
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
  process.stderr.write(`wrote ${file.path}\n`);
}
if (stale > 0) process.exitCode = 1;
