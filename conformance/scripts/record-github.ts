/**
 * Records conformance/cassettes/github/ from the fake GitHub API (test/fakes/github) through the
 * suite's recording proxy — the same path `gwi-connectors test github --record` takes against
 * api.github.com — and writes one webhook sample per mapped event from @octokit/webhooks-examples.
 *
 *   npx tsx conformance/scripts/record-github.ts
 */
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveConfig } from '../../runtime/config/index.js';
import { compileExpression } from '../../runtime/expressions/index.js';
import { loadManifest, packageRoot } from '../../runtime/manifest/index.js';
import { createScrubber } from '../cassettes/scrub.js';
import { saveWebhookSample } from '../cassettes/store.js';
import { recordCassettes } from '../record.js';

/** What this script uses of test/fakes/github (imported at run time: the build leaves test/ out). */
interface FakeGitHubModule {
  startFakeGitHub(options: { token: string; repos: Array<Record<string, unknown>> }): Promise<{ url: string; close(): Promise<void> }>;
}
const fakeModule = pathToFileURL(join(packageRoot(), 'test', 'fakes', 'github', 'index.ts')).href;
const { startFakeGitHub } = (await import(fakeModule)) as FakeGitHubModule;

const dir = join(packageRoot(), 'conformance', 'cassettes', 'github');
const token = 'recording-token-0123456789';
const manifest = await loadManifest('github');
const fake = await startFakeGitHub({
  token,
  repos: [
    // 101 commit statuses (small records): two pages at per_page=100, so replay proves every page is followed.
    { full_name: 'octo-org/hello-world', pulls: 3, issues: 3, issueComments: 3, reviewComments: 2, reviewsPerPull: 1, commits: 3, workflowRuns: 2, checkRuns: 2, statuses: 101 },
    { full_name: 'octo-org/spoon-knife', pulls: 2, issues: 2, issueComments: 2, reviewComments: 2, reviewsPerPull: 2, commits: 2, workflowRuns: 1, checkRuns: 1, statuses: 1 },
  ],
});
try {
  rmSync(dir, { recursive: true, force: true });
  const config = resolveConfig({ token, repositories: ['octo-org/hello-world', 'octo-org/spoon-knife'], webhook_secret: 'recording-webhook-secret' }, manifest, { env: {} });
  const files = await recordCassettes({ manifest, config, dir, target: fake.url, log: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(`wrote ${files.length} files under ${dir}\n`);
  await writeWebhookSamples();
} finally {
  await fake.close();
}

/** GitHub's documented example deliveries, one per event the manifest maps, personal data scrubbed. */
async function writeWebhookSamples(): Promise<void> {
  const require = createRequire(import.meta.url);
  const examples = require('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
  const scrubber = createScrubber({ secrets: [] });
  let n = 0;
  for (const [event, route] of Object.entries(manifest.node.webhooks?.events ?? {})) {
    // The first example the event's `when` accepts (a push with commits, not an empty one).
    const when = (Array.isArray(route) ? route[0] : route)?.when;
    const candidates = examples.find((e) => e.name === event)?.examples ?? [];
    let found: Record<string, unknown> | undefined;
    for (const example of candidates) {
      if (!when || (await compileExpression(when).evaluate(example))) {
        found = example;
        break;
      }
    }
    if (!found) continue;
    n++;
    const file = saveWebhookSample(dir, {
      event,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        'x-github-hook-id': '123456',
        'x-hub-signature-256': 'sha256=<hmac-sha256-hex>',
      },
      body: scrubber.value(found),
    });
    process.stderr.write(`wrote ${file}\n`);
  }
}
