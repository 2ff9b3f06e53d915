import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors/codes.js';

/** Every non-test TypeScript source under runtime/, except the catalogue itself. */
function runtimeSources(dir = new URL('..', import.meta.url).pathname): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return runtimeSources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !path.endsWith(join('errors', 'codes.ts')) ? [path] : [];
  });
}

describe('the WEBHOOK_* error codes', () => {
  // docs/troubleshooting.md lists the catalogue: a code nothing raises sends readers after an error
  // they can never see (WEBHOOK_UNKNOWN_EVENT was one: unmapped events are marked done instead).
  it('are each raised somewhere in runtime/', () => {
    const sources = runtimeSources().map((path) => readFileSync(path, 'utf8')).join('\n');
    const unused = Object.keys(ERROR_CODES).filter((code) => code.startsWith('WEBHOOK_') && !sources.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });
});
