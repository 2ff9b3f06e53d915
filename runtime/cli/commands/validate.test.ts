import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CommandIO } from '../resolve-manifest.js';
import { runSpec } from './spec.js';
import { runValidate } from './validate.js';

const good = fileURLToPath(new URL('../../manifest/fixtures/good.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'validate-'));
const bad = join(dir, 'bad.yaml');
writeFileSync(bad, readFileSync(good, 'utf8').replace('      page_size: 100\n', '      page_size: "100a"\n').replace('action: ignore', 'action: ignor'));

function collect(): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (line) => out.push(line), stderr: (line) => err.push(line) };
}

describe('gwi-connectors validate', () => {
  it('exits 0 and says ok with the stream count for a valid manifest', async () => {
    const io = collect();
    expect(await runValidate([good], io)).toBe(0);
    expect(io.err).toEqual([`ok ${good} (2 streams)`]);
    expect(io.out).toEqual([]);
  });

  it('exits 1 and prints file:line:col: message for every problem', async () => {
    const io = collect();
    expect(await runValidate([good, bad], io)).toBe(1);
    expect(io.out).toEqual([
      `${bad}:22:39: requester.on_response[0].action must be one of "retry", "ignore", "fail", "rate_limited", "success", got "ignor"; did you mean "ignore"? action: retry: try again after a backoff; rate_limited: wait (wait_until/Retry-After) and retry without spending an attempt budget beyond caps; ignore: treat as an empty page; fail: stop with an error; success: accept the response. [MANIFEST_SCHEMA]`,
      `${bad}:42:18: streams.issues.pagination.page_size must be an integer, got "100a". page_size: Expected records per page: a shorter page is the last one. [MANIFEST_SCHEMA]`,
    ]);
    expect(io.err).toEqual([`ok ${good} (2 streams)`]);
  });

  it('reports a missing file and reads folders', async () => {
    const io = collect();
    expect(await runValidate([join(dir, 'none.yaml')], io)).toBe(1);
    expect(io.out[0]).toMatch(/manifest ".*none\.yaml" not found\. .*\[MANIFEST_NOT_FOUND\]$/);
    const folder = collect();
    expect(await runValidate([dir], folder)).toBe(1);
    expect(folder.out).toHaveLength(2);
  });

  const cli = fileURLToPath(new URL('../../../dist/runtime/cli/main.js', import.meta.url));
  const built = fileURLToPath(new URL('../../../dist/runtime/cli/commands/validate.js', import.meta.url));
  // `npm test` builds first (pretest); a bare `vitest run` may find no dist, or a stale one.
  const fresh = existsSync(built) && statSync(built).mtimeMs >= statSync(fileURLToPath(new URL('./validate.ts', import.meta.url))).mtimeMs;
  it.skipIf(!fresh)('the built CLI exits 1 on a bad manifest and 0 on a good one', async () => {
    const run = promisify(execFile);
    await expect(run(process.execPath, [cli, 'validate', good])).resolves.toMatchObject({ stderr: `ok ${good} (2 streams)\n` });
    await expect(run(process.execPath, [cli, 'validate', bad])).rejects.toMatchObject({ code: 1 });
  });
});

describe('gwi-connectors spec', () => {
  it('prints one SPEC line with the connection spec, docs URL and incremental support', async () => {
    const io = collect();
    expect(await runSpec(good, io)).toBe(0);
    expect(io.out).toHaveLength(1);
    const message = JSON.parse(io.out[0] as string) as { type: string; spec: Record<string, unknown> };
    expect(message.type).toBe('SPEC');
    expect(message.spec['documentationUrl']).toBe('https://example.test/docs');
    expect(message.spec['supportsIncremental']).toBe(true);
    expect(message.spec['connectionSpecification']).toMatchObject({
      type: 'object',
      required: ['token'],
      properties: { token: { type: 'string', secret: true, airbyte_secret: true } },
    });
  });

  it('on a bad manifest: problems on stderr, a TRACE config_error on stdout, exit 1', async () => {
    const io = collect();
    expect(await runSpec(bad, io)).toBe(1);
    expect(io.err).toHaveLength(2);
    expect(JSON.parse(io.out[0] as string)).toMatchObject({ type: 'TRACE', trace: { type: 'ERROR', error: { failure_type: 'config_error' } } });
  });
});
