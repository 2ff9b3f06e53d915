import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorError } from '../../runtime/errors/index.js';
import { loadManifest } from '../../runtime/manifest/index.js';
import { createService } from '../../runtime/service/index.js';
import { auth, TEST_ENV, tempDir, withApp } from './fixtures.js';

// GitHub's documented example payloads (@octokit/webhooks-examples), signed as GitHub signs them.
const require = createRequire(import.meta.url);
const definitions = require('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
const example = (name: string, action?: string) =>
  definitions.find((d) => d.name === name)!.examples.find((e) => action === undefined || e['action'] === action)!;

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function github(connectionsYaml: string, env: Record<string, string>) {
  const file = join(tmp.dir, 'connections.yaml');
  writeFileSync(file, connectionsYaml);
  const service = await createService({ dataDir: join(tmp.dir, 'data'), manifests: [await loadManifest('github')], env: { ...TEST_ENV, ...env }, connectionsFile: file, background: false });
  return withApp(service);
}

const CONNECTIONS = `
connections:
  - id: acme-github
    connector: github
    config:
      token: \${GITHUB_TOKEN}
      repositories: [acme/api]
      webhook_secret: \${GITHUB_WEBHOOK_SECRET}
    schedule: "every 1h"
`;

describe('the GitHub manifest behind the service (connections file with ${ENV})', () => {
  it('accepts signed example deliveries and maps them to the polling streams', async () => {
    const ctx = await github(CONNECTIONS, { GITHUB_TOKEN: 'ghp_exampletoken', GITHUB_WEBHOOK_SECRET: 'hook-secret' });
    const listed = (await ctx.app.inject({ method: 'GET', url: '/api/connections', headers: auth })).json();
    expect(listed.connections[0]).toMatchObject({ id: 'acme-github', schedule: 'every 1h', source: 'file', config: { repositories: ['acme/api'] } });
    expect(JSON.stringify(listed)).not.toContain('ghp_exampletoken');
    expect(JSON.stringify(listed)).not.toContain('hook-secret');

    const cases = [
      { event: 'pull_request', payload: example('pull_request', 'opened'), stream: 'pull_requests' },
      { event: 'issues', payload: example('issues', 'opened'), stream: 'issues' },
      { event: 'ping', payload: example('ping'), stream: null },
    ];
    for (const [i, c] of cases.entries()) {
      const text = JSON.stringify(c.payload);
      const headers = {
        'content-type': 'application/json', 'x-github-event': c.event, 'x-github-delivery': `72d3162e-cc78-11e3-81ab-4c9367dc095${i}`,
        'x-github-hook-id': '123456', 'x-hub-signature-256': await sign('hook-secret', text),
      };
      const res = await ctx.app.inject({ method: 'POST', url: '/webhooks/github/acme-github', payload: text, headers });
      expect(res.statusCode, c.event).toBe(202);
      expect(res.json().id).toBe(`123456:${headers['x-github-delivery']}`);
    }
    await ctx.service.dispatcher.drainOnce();
    expect(ctx.service.store.deliveryCounts()).toMatchObject({ done: 3, failed: 0, dead: 0 });
    const prs = (await ctx.app.inject({ method: 'GET', url: '/api/connections/acme-github/records/pull_requests', headers: auth })).json();
    expect(prs.records).toHaveLength(1);
    expect(prs.records[0]).toMatchObject({ number: (example('pull_request', 'opened')['pull_request'] as { number: number }).number });
    const issues = (await ctx.app.inject({ method: 'GET', url: '/api/connections/acme-github/records/issues', headers: auth })).json();
    expect(issues.records).toHaveLength(1);
    await ctx.close();
  });

  it('refuses to start when a referenced variable is missing, naming it, the connection and its line', async () => {
    const refused = github(CONNECTIONS, { GITHUB_TOKEN: 'x' });
    await expect(refused).rejects.toMatchObject({ code: 'CONFIG_ENV_MISSING', message: expect.stringContaining('GITHUB_WEBHOOK_SECRET') });
    const error = (await refused.catch((e: unknown) => e)) as ConnectorError;
    expect(error.format()).toMatch(/connections\.yaml:8:23: connection "acme-github" \(connections\[0\]\): environment variable not set: GITHUB_WEBHOOK_SECRET/);
  });

  it('places a config the spec refuses at the value in the file', async () => {
    const bad = CONNECTIONS.replace('[acme/api]', '[acme/api, not-a-repo]');
    const error = (await github(bad, { GITHUB_TOKEN: 'x', GITHUB_WEBHOOK_SECRET: 's' }).catch((e: unknown) => e)) as ConnectorError;
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', location: { line: 7, column: 32, path: 'connections[0].config.repositories[1]' } });
    expect(error.message).toMatch(/^connection "acme-github" \(connections\[0\]\): config does not match the github spec: config\.repositories\.1 must match pattern/);
  });
});
