// Regenerates the error-code table in docs/troubleshooting.md from runtime/errors/codes.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { embedErrorTable } from '../runtime/errors/render-table.js';

const file = new URL('../docs/troubleshooting.md', import.meta.url);
writeFileSync(file, embedErrorTable(readFileSync(file, 'utf8')));
