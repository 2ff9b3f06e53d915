import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

export { freePort };

/**
 * Runs `gwi-connectors serve` from the built CLI as a child process (crash test, ingest bench), and
 * makes GitHub-style signed deliveries for it.
 */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CLI = join(REPO_ROOT, 'dist/runtime/cli/main.js');

export const WEBHOOK_SECRET = 'bench-webhook-secret';
export const ADMIN_TOKEN = 'test-admin-token';
export const HOOK_ID = '424242';

export interface ServeOptions {
  port: number;
  dataDir: string;
  connectionsFile: string;
  env?: NodeJS.ProcessEnv;
  /** Extra CLI arguments, e.g. ['--bus', 'pubsub']. */
  args?: string[];
  /** Another build's CLI (bench/ingest/compare.ts); default this tree's dist/. */
  cli?: string;
  /** Flags for node itself, before the script (V8 flags NODE_OPTIONS does not take, e.g. the bin's shebang's). */
  nodeArgs?: string[];
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Last lines of stdout/stderr, for failure messages. */
  output(): string;
  /** True once the child printed that it listens on `url`. */
  listening(): boolean;
  /** Resolves with the exit code or signal. */
  exited: Promise<string>;
}

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`);
}

/** A connections file with one GitHub connection `acme` whose webhook secret is WEBHOOK_SECRET. */
export function writeConnectionsFile(dir: string, connection = 'acme'): string {
  const file = join(dir, 'connections.yaml');
  writeFileSync(
    file,
    [
      'connections:',
      `  - id: ${connection}`,
      '    connector: github',
      '    config:',
      '      token: ${BENCH_GITHUB_TOKEN}',
      '      repositories: [acme/api]',
      '      webhook_secret: ${BENCH_WEBHOOK_SECRET}',
      '',
    ].join('\n'),
  );
  return file;
}

export function serveEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BENCH_GITHUB_TOKEN: 'ghp_not-a-real-token',
    BENCH_WEBHOOK_SECRET: WEBHOOK_SECRET,
    GWI_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export function startServe(options: ServeOptions): ServeProcess {
  if (!options.cli) assertBuilt();
  const args = [options.cli ?? CLI, 'serve', '--port', String(options.port), '--host', '127.0.0.1', '--data', options.dataDir, '--connections', options.connectionsFile, ...(options.args ?? [])];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { env: options.env ?? serveEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let listening = false;
  const url = `http://127.0.0.1:${options.port}`;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
    listening ||= output.includes(`listening on ${url}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((done) => child.once('exit', (code, signal) => done(signal ?? String(code))));
  return { child, url, output: () => output, listening: () => listening, exited };
}

/**
 * Waits until this child says it is listening on its URL and `GET /health` answers. Waiting for the
 * child's own line (not just any answer on the port) matters: with tests in parallel another process
 * may hold the port, and this child then exits with EADDRINUSE.
 */
export async function waitListening(serve: ServeProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  void serve.exited.then((how) => (exited = how));
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`serve exited (${exited}) before listening:\n${serve.output()}`);
    if (serve.listening()) {
      try {
        await fetch(`${serve.url}/health`, { signal: AbortSignal.timeout(1_000) });
        return;
      } catch {
        // listening but not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`serve did not listen on ${serve.url} within ${timeoutMs} ms:\n${serve.output()}`);
}

/** A GitHub `issues.opened`-style payload of exactly `bytes` bytes (the issue body is the padding). */
export function githubIssuePayload(bytes = 4096): Buffer {
  const make = (body: string) => ({
    action: 'opened',
    issue: {
      url: 'https://api.github.com/repos/acme/api/issues/1347',
      html_url: 'https://github.com/acme/api/issues/1347',
      id: 1_234_567_890,
      node_id: 'I_kwDOABCDEF5Jmv0S',
      number: 1347,
      title: 'Found a bug: webhooks arrive twice',
      user: { login: 'octocat', id: 1, node_id: 'MDQ6VXNlcjE=', type: 'User', site_admin: false },
      labels: [{ id: 208045946, name: 'bug', color: 'f29513', default: true }],
      state: 'open',
      state_reason: null,
      locked: false,
      assignees: [],
      milestone: null,
      comments: 0,
      created_at: '2026-11-25T10:00:00Z',
      updated_at: '2026-11-25T10:00:00Z',
      closed_at: null,
      author_association: 'OWNER',
      body,
    },
    repository: {
      id: 1_296_269,
      node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
      name: 'api',
      full_name: 'acme/api',
      private: false,
      owner: { login: 'acme', id: 9919, type: 'Organization' },
      html_url: 'https://github.com/acme/api',
      default_branch: 'main',
    },
    sender: { login: 'octocat', id: 1, type: 'User' },
  });
  const base = Buffer.byteLength(JSON.stringify(make('')));
  const filler = 'Steps to reproduce: send a delivery, kill the server, send it again. ';
  const body = filler.repeat(Math.ceil(bytes / filler.length)).slice(0, Math.max(0, bytes - base));
  return Buffer.from(JSON.stringify(make(body)));
}

export function signGithub(body: Buffer, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Headers GitHub sends with a delivery; `deliveryGuid` makes the dedupe key unique. */
export function githubHeaders(body: Buffer, deliveryGuid: string, signature = signGithub(body)): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/abc1234',
    'x-github-event': 'issues',
    'x-github-delivery': deliveryGuid,
    'x-github-hook-id': HOOK_ID,
    'x-hub-signature-256': signature,
  };
}

/** The dedupe key the GitHub manifest derives: hook id + delivery GUID. */
export const githubDedupeKey = (deliveryGuid: string) => `${HOOK_ID}:${deliveryGuid}`;

/**
 * Starts serve on a free port and waits until it listens, trying another port if one was taken
 * between `freePort()` and the child's bind (tests run in parallel).
 */
export async function startListening(options: Omit<ServeOptions, 'port'>, attempts = 3): Promise<ServeProcess> {
  for (let attempt = 1; ; attempt++) {
    const serve = startServe({ ...options, port: await freePort() });
    try {
      await waitListening(serve);
      return serve;
    } catch (error) {
      if (attempt >= attempts || !serve.output().includes('EADDRINUSE')) throw error;
    }
  }
}
