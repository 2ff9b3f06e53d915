import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../runtime/manifest/index.js';
import { formatResult } from './report.js';
import { runConformance } from './suite.js';

/** CI gate: every bundled manifest passes the conformance suite (with its cassettes, or simulated). */
const dir = join(packageRoot(), 'manifests');
const manifests = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('gwi-connectors test <every manifest in manifests/>', () => {
  for (const file of manifests) {
    it(`${file} has no failing conformance check`, async () => {
      const report = await runConformance({ manifest: join(dir, file) });
      expect(report.results.filter((r) => r.status === 'fail').map(formatResult)).toEqual([]);
    });
  }
});
