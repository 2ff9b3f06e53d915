/**
 * Run the fake GitHub on its own, e.g. to record cassettes without a token:
 *
 *   npx tsx test/fakes/github/main.ts [--port 8787] [--pulls 250] > /tmp/github-fake.json
 *   npx gwi-connectors test github --record --config /tmp/github-fake.json
 *
 * Prints a connection config (JSON) pointing at the fake on stdout; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startFakeGitHub } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    pulls: { type: 'string', default: '30' },
    token: { type: 'string', default: 'test-token' },
  },
});

const pulls = Number(values.pulls);
const fake = await startFakeGitHub({
  token: values.token,
  repos: [{ full_name: 'octo-org/hello-world', pulls }, { full_name: 'octo-org/spoon-knife', pulls: 3 }],
  orgs: { 'octo-org': ['octo-org/hello-world', 'octo-org/spoon-knife'] },
  ...(values.port ? { port: Number(values.port) } : {}),
});
process.stdout.write(
  `${JSON.stringify({ token: values.token, base_url: fake.url, repositories: ['octo-org/hello-world', 'octo-org/spoon-knife'], start_date: '2020-01-01T00:00:00Z', webhook_secret: 'test-secret' }, null, 2)}\n`,
);
process.stderr.write(`fake GitHub listening on ${fake.url} (Ctrl-C to stop)\n`);
const stop = () => {
  void fake.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
