import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { serve } from '../../runtime/cli/commands/serve.js';
import { SECRET, signedDelivery, TEST_ENV, tempDir } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

const args = (extra: Record<string, string> = {}) => ({ port: '0', host: '127.0.0.1', data: join(tmp.dir, 'data'), bus: 'local', ...extra });

describe('gwi-connectors serve', () => {
  it('starts with zero connections on a fresh data dir, generating and printing the admin token once', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const first = await serve(args(), { ...TEST_ENV, LOG_LEVEL: 'silent' });
    const tokenFile = join(tmp.dir, 'data', 'admin.token');
    expect(existsSync(tokenFile)).toBe(true);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain(token);
    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);
    const list = await fetch(`${first.url}/api/connections`, { headers: { authorization: `Bearer ${token}` } });
    expect(await list.json()).toEqual({ connections: [] });
    await first.close();

    stderr.mockClear();
    const second = await serve(args(), { ...TEST_ENV, LOG_LEVEL: 'silent' });
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).not.toContain(token);
    await second.close();
  });

  it('loads a connections file and finishes in-flight requests on close (graceful shutdown)', async () => {
    const file = join(tmp.dir, 'connections.yaml');
    writeFileSync(file, 'connections:\n  - id: acme\n    connector: github\n    config:\n      token: ${TOKEN}\n      repositories: [a/b]\n      webhook_secret: ${HOOK}\n');
    const running = await serve(args({ connections: file }), { ...TEST_ENV, TOKEN: 't0ken', HOOK: SECRET, GWI_ADMIN_TOKEN: 'adm-token-0123456789', LOG_LEVEL: 'silent' });
    const sends = Array.from({ length: 50 }, () => {
      const d = signedDelivery();
      const headers = { ...d.headers, 'x-github-event': 'issues' };
      return fetch(`${running.url}/webhooks/github/acme`, { method: 'POST', body: d.body, headers }).then(
        async (r) => ({ id: d.id, status: r.status, body: await r.text() }),
        (error: unknown) => ({ id: d.id, status: 0, body: '', error: String((error as { cause?: { code?: string } }).cause?.code ?? error) }),
      );
    });
    // Close while requests are in flight: those accepted by the server are answered, none is cut off.
    await new Promise((r) => setTimeout(r, 5));
    const closing = running.close();
    const outcomes = await Promise.all(sends);
    await closing;
    const answered = outcomes.filter((o) => o.status !== 0);
    expect(answered.filter((o) => o.status !== 202 && o.status !== 503)).toEqual([]);
    // An answer read in full: a 202 carries its delivery id (a cut-off body would not parse).
    for (const o of answered.filter((a) => a.status === 202)) expect(JSON.parse(o.body)).toMatchObject({ id: o.id, duplicate: false });
    // Every 202 is in the database after the restart, and no request that got no answer is: a stored
    // delivery whose request failed would be one the server took in and then dropped the answer of.
    const again = await serve(args({ connections: file }), { ...TEST_ENV, TOKEN: 't0ken', HOOK: SECRET, GWI_ADMIN_TOKEN: 'adm-token-0123456789', LOG_LEVEL: 'silent' });
    const res = await fetch(`${again.url}/api/deliveries?limit=1000`, { headers: { authorization: 'Bearer adm-token-0123456789' } });
    const stored = new Set(((await res.json()) as { deliveries: Array<{ id: string }> }).deliveries.map((d) => d.id));
    expect(answered.filter((o) => o.status === 202 && !stored.has(o.id))).toEqual([]);
    expect(outcomes.filter((o) => o.status === 0 && stored.has(o.id))).toEqual([]);
    await again.close();
  });

  it('checks --max-attempts where GWI_MAX_ATTEMPTS is checked, naming the flag', async () => {
    await expect(serve(args({ maxAttempts: '0' }), { ...TEST_ENV, LOG_LEVEL: 'silent' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('--max-attempts') });
    const running = await serve(args({ maxAttempts: '7' }), { ...TEST_ENV, GWI_MAX_ATTEMPTS: 'not a number', LOG_LEVEL: 'silent' });
    await running.close();
  });
});
