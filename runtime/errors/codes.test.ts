import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './codes.js';
import { renderErrorTable } from './render-table.js';

describe('error catalogue', () => {
  it('docs/troubleshooting.md holds the current table of error codes (run `npm run gen` after adding one)', () => {
    const doc = readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderErrorTable());
  });

  it('every code has a meaning and a fix', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(entry.meaning, code).toMatch(/\S/);
      expect(entry.fix, code).toMatch(/\S/);
    }
  });
});
