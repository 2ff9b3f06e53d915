import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from './checks/types.js';
import { runConformance } from './suite.js';

const fixture = (name: string) => `conformance/fixtures/${name}/manifest.yaml`;
const failures = (results: CheckResult[]) => results.filter((r) => r.status === 'fail');

describe('runConformance on fixture manifests', () => {
  it('passes every check of the good fixture against its simulated API, skipping none', async () => {
    const report = await runConformance({ manifest: fixture('good') });
    expect(failures(report.results)).toEqual([]);
    expect(report.skipped).toBe(0);
    expect(report.source).toBe('simulated');
    const names = report.results.map((r) => r.name);
    for (const expected of ['manifest.spec_secrets', 'discover', 'read.pagination[tickets]', 'incremental.future_state[tickets]', 'resilience.faults', 'resilience.auth_401', 'resilience.circuit_breaker', 'ratelimit.budget', 'webhooks.dedupe[ticket#1]', 'webhooks.maps[ticket#1]']) {
      expect(names).toContain(expected);
    }
    // The faults run met every kind of fault.
    expect(report.results.find((r) => r.name === 'resilience.faults')?.reason).toMatch(/[1-9]\d* 429s, [1-9]\d* 5xx, [1-9]\d* resets, [1-9]\d* truncated/);
  });

  it('a pagination loop fails read.completes at streams.items.pagination (PAGINATION_LOOP)', async () => {
    const report = await runConformance({ manifest: fixture('pagination-loop') });
    const failed = failures(report.results);
    expect(report.source).toBe('cassettes');
    expect(failed.find((r) => r.name === 'read.completes[items]')).toMatchObject({ path: 'streams.items.pagination', reason: expect.stringContaining('PAGINATION_LOOP') });
  });

  it('a page_size larger than the API’s real page stops early: read.pagination fails on the unfollowed Link', async () => {
    const report = await runConformance({ manifest: fixture('early-stop') });
    expect(failures(report.results)).toEqual([
      expect.objectContaining({ name: 'read.pagination[widgets]', path: 'streams.widgets.pagination', reason: expect.stringContaining('GET /widgets?page=2&per_page=100') }),
    ]);
  });

  it('a cursor field the map drops fails incremental.cursor_present at streams.events.cursor_field', async () => {
    const report = await runConformance({ manifest: fixture('cursor-missing') });
    expect(failures(report.results)).toEqual([
      expect.objectContaining({ name: 'incremental.cursor_present[events]', path: 'streams.events.cursor_field', where: expect.stringMatching(/manifest\.yaml:\d+:\d+$/) }),
    ]);
  });

  it('a map that drops the primary key fails read.primary_key at streams.tickets.primary_key', async () => {
    const report = await runConformance({ manifest: fixture('pk-dropped') });
    expect(failures(report.results)).toEqual([
      expect.objectContaining({ name: 'read.primary_key[tickets]', path: 'streams.tickets.primary_key', reason: expect.stringContaining('no value for primary key id') }),
    ]);
  });

  it('a sample that is a handshake passes webhooks.handshake and is not checked as a delivery; a respond that gives nothing fails at its path', async () => {
    const report = await runConformance({ manifest: fixture('webhook-handshake') });
    expect(failures(report.results)).toEqual([]);
    const names = report.results.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['webhooks.valid_signature[url_check#2]', 'webhooks.handshake[url_check#2]', 'webhooks.dedupe[ticket#1]', 'webhooks.maps[ticket#1]']));
    expect(names).not.toContain('webhooks.dedupe[url_check#2]');

    const broken = join(mkdtempSync(join(tmpdir(), 'gwi-handshake-')), 'manifest.yaml');
    cpSync(fixture('webhook-handshake').replace('/manifest.yaml', ''), dirname(broken), { recursive: true });
    writeFileSync(broken, readFileSync(broken, 'utf8').replace("respond: \"{ 'challenge': challenge }\"", 'respond: "answer"'));
    try {
      const failed = failures((await runConformance({ manifest: broken })).results);
      expect(failed).toEqual([expect.objectContaining({ name: 'webhooks.handshake[url_check#2]', path: 'webhooks.handshakes[0].respond', reason: 'webhooks.handshakes[0].respond gave nothing for this request' })]);
    } finally {
      rmSync(dirname(broken), { recursive: true, force: true });
    }
  });

  it('a signature prefix that differs from what the provider sends fails webhooks.valid_signature at webhooks.signature.prefix', async () => {
    const report = await runConformance({ manifest: fixture('wrong-signature-prefix') });
    expect(failures(report.results)).toEqual([
      expect.objectContaining({ name: 'webhooks.valid_signature[ticket#1]', path: 'webhooks.signature.prefix', reason: expect.stringContaining('the provider sends the prefix "sha256="') }),
    ]);
  });

  it('an engine that throws fails each check group once and the run still ends', async () => {
    const report = await runConformance({
      manifest: fixture('good'),
      groups: ['protocol', 'read'],
      createConnector: () => {
        throw new Error('engine exploded');
      },
    });
    expect(failures(report.results).map((r) => r.name)).toEqual(['protocol.suite_error', 'read.suite_error']);
    expect(report.results.find((r) => r.name === 'read.suite_error')?.reason).toContain('engine exploded');
  });

  it('a manifest that does not load fails manifest.schema with file:line:col and runs nothing else', async () => {
    const report = await runConformance({ manifest: 'conformance/fixtures/invalid/manifest.yaml' });
    expect(report.results[0]).toMatchObject({ name: 'manifest.schema', status: 'fail', where: expect.stringMatching(/invalid\/manifest\.yaml:\d+:\d+/) });
    expect(report.results.find((r) => r.name === 'manifest.expressions')).toMatchObject({ status: 'fail' });
    expect(report.results.at(-1)).toMatchObject({ name: 'engine', status: 'skip' });
  });

  it('a rate-limit header the recorded API never sends, or a wrong reset format, fails ratelimit.headers at its manifest path', async () => {
    const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'gwi-rl-'));
    try {
      const file = join(dir, 'github.yaml');
      writeFileSync(file, readFileSync('manifests/github.yaml', 'utf8').replace('remaining_header: x-ratelimit-remaining', 'remaining_header: x-ratelimit-left').replace('$schema=../schemas', '$schema=../../schemas'));
      const report = await runConformance({ manifest: file, cassettes: 'conformance/cassettes/github', groups: ['ratelimit'] });
      expect(failures(report.results)).toEqual([
        expect.objectContaining({ name: 'ratelimit.headers', path: 'requester.rate_limit.remaining_header', reason: expect.stringContaining('x-ratelimit-remaining') }),
      ]);
      writeFileSync(file, readFileSync('manifests/github.yaml', 'utf8').replace('reset_format: epoch_seconds', 'reset_format: epoch_ms'));
      const wrongFormat = await runConformance({ manifest: file, cassettes: 'conformance/cassettes/github', groups: ['ratelimit'] });
      expect(failures(wrongFormat.results)).toEqual([
        expect.objectContaining({ name: 'ratelimit.headers', path: 'requester.rate_limit.reset_format', reason: expect.stringMatching(/value "\d{10}" is not epoch_ms/) }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a response rule that ignores server errors loses records under faults: resilience.faults fails', async () => {
    const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'gwi-faults-'));
    try {
      const file = join(dir, 'manifest.yaml');
      const good = readFileSync(fixture('good'), 'utf8');
      writeFileSync(file, good.replace('  retry: { attempts: 5, base_ms: 10, max_ms: 100 }', '  retry: { attempts: 5, base_ms: 10, max_ms: 100 }\n  on_response: [{ when: "status >= 500", action: ignore }]'));
      const report = await runConformance({ manifest: file, groups: ['read', 'resilience'] });
      // Ignoring every 503 also hides the outage from the circuit breaker.
      expect(failures(report.results)).toEqual([
        expect.objectContaining({ name: 'resilience.faults', reason: expect.stringMatching(/records vs|first difference/) }),
        expect.objectContaining({ name: 'resilience.circuit_breaker', reason: 'reads against an API answering 503 did not fail' }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes every check of manifests/github.yaml against the recorded GitHub cassettes', async () => {
    const report = await runConformance({ manifest: 'github' });
    expect(report.source).toBe('cassettes');
    expect(failures(report.results)).toEqual([]);
    expect(report.skipped).toBe(0);
    expect(report.results.filter((r) => r.name.startsWith('webhooks.maps')).length).toBeGreaterThanOrEqual(8);
  });
});
