import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTestCommand, type TestArgs } from './test.js';

const dir = mkdtempSync(join(tmpdir(), 'gwi-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collector() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) }, out, err };
}

describe('gwi-connectors test', () => {
  it('prints one line per check and the summary alone on the last line; exit 0 when nothing fails', async () => {
    const { io, out } = collector();
    const junit = join(dir, 'good.xml');
    const code = await runTestCommand('conformance/fixtures/good/manifest.yaml', { junit }, io);
    expect(code).toBe(0);
    expect(out.at(-1)).toMatch(/^\d+ passed, 0 failed, 0 skipped$/);
    expect(out.slice(0, -1).every((line) => /^(PASS|FAIL|SKIP) \S+/.test(line))).toBe(true);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuites name="gwi-connectors conformance"');
    expect(xml).toContain('failures="0"');
    expect((xml.match(/<testcase /g) ?? []).length).toBe(out.length - 1);
  });

  it('exits 1 and names the reason and manifest path of a failing check, also in JUnit', async () => {
    const { io, out } = collector();
    const junit = join(dir, 'loop.xml');
    const code = await runTestCommand('conformance/fixtures/pagination-loop/manifest.yaml', { junit }, io);
    expect(code).toBe(1);
    expect(out).toContainEqual(expect.stringMatching(/^FAIL read\.completes\[items\] — .*PAGINATION_LOOP.* \(at streams\.items\.pagination, .*manifest\.yaml:\d+:\d+\)$/));
    expect(out.at(-1)).toMatch(/^\d+ passed, [1-9]\d* failed, \d+ skipped$/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<failure message="[^"]*PAGINATION_LOOP/);
  });

  it('a manifest that cannot be found fails manifest.schema and exits 1', async () => {
    const { io, out, err } = collector();
    expect(await runTestCommand('no-such-connector', {}, io)).toBe(1);
    expect(err).toEqual([]);
    expect(out[0]).toMatch(/^FAIL manifest\.schema — .*\[MANIFEST_NOT_FOUND\]/);
    expect(out.at(-1)).toBe('0 passed, 1 failed, 2 skipped');
  });

  it('--record without --config is a usage error', async () => {
    const { io, err } = collector();
    expect(await runTestCommand('github', { record: true }, io)).toBe(2);
    expect(err[0]).toContain('--record needs --config');
  });
});

describe('gwi-connectors test --record', () => {
  it('records cassettes through the proxy from a local server standing in for the live API, scrubbed, then replays them', async () => {
    const { loadManifest } = await import('../../manifest/index.js');
    const { startSimulatedApi } = await import('../../../conformance/simulated/simulated-api.js');
    const { writeFileSync, readdirSync } = await import('node:fs');
    const manifest = await loadManifest('conformance/fixtures/good/manifest.yaml');
    // The stand-in announces its budget in the headers the manifest names, as the real API would.
    const live = await startSimulatedApi(manifest.node, {
      seed: 'live',
      wrap: (handler) => async (request, raw) => {
        const response = await handler(request, raw);
        return response === 'handled' ? response : { ...response, headers: { ...response.headers, 'x-rate-remaining': '100', 'x-rate-reset': '60' } };
      },
    });
    try {
      const configFile = join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ api_token: 'live-token-do-not-leak', projects: ['acme/web', 'acme/api'], base_url: live.url, webhook_secret: 'live-hook-secret' }));
      const cassettes = join(dir, 'recorded');
      const { io, out, err } = collector();
      const args: TestArgs = { record: true, config: configFile, cassettes };
      const code = await runTestCommand('conformance/fixtures/good/manifest.yaml', args, io);
      expect(err.join('\n')).toContain('recorded tickets');
      expect(code).toBe(0);
      expect(out.at(-1)).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/);
      expect(readdirSync(cassettes).sort()).toEqual(['_check.json', '_config.json', 'tickets.json', 'users.json']);
      for (const file of readdirSync(cassettes)) {
        const text = readFileSync(join(cassettes, file), 'utf8');
        expect(text).not.toContain('live-token-do-not-leak');
        expect(text).not.toContain('live-hook-secret');
      }
      // Personal data (users' e-mails) is pseudonymised.
      expect(readFileSync(join(cassettes, 'users.json'), 'utf8')).toMatch(/user-[0-9a-f]{8}@example\.com/);
    } finally {
      await live.close();
    }
  });
});
