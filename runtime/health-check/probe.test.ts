import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../auth/index.js';
import { probeHealth } from './probe.js';

let server: Server;
let base: string;
const seen: { url: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 500);
    res.statusCode = req.url === '/ok' ? 200 : 503;
    res.end('{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

const scope = { config: { token: 'probe-secret-token' } };
const auth = createAuthenticator({ type: 'bearer', token: '{{ config.token }}' }, { scope, tokenKey: 't', urlBase: 'http://x' });
const requester = { url_base: 'http://unused.invalid', timeout_ms: 30_000 };

describe('probeHealth (manifest health_check)', () => {
  it('is ok when the path answers the expected status, with the connection’s credentials', async () => {
    const result = await probeHealth({ path: '/ok', expected_status: 200, timeout_seconds: 5 }, { requester, auth, scope, urlBaseOverride: base });
    expect(result).toMatchObject({ status: 'ok', http_status: 200, error: null });
    expect(seen.at(-1)).toEqual({ url: '/ok', authorization: 'Bearer probe-secret-token' });
  });

  it('is down on another status, once (no retries)', async () => {
    const before = seen.length;
    const result = await probeHealth({ path: '/broken', expected_status: 200, timeout_seconds: 5 }, { requester, auth, scope, urlBaseOverride: base });
    expect(result).toMatchObject({ status: 'down', http_status: 503, error: 'GET /broken answered 503, expected 200' });
    expect(seen.length - before).toBe(1);
  });

  it('is down after timeout_seconds, and when nothing listens', async () => {
    const slow = await probeHealth({ path: '/slow', expected_status: 200, timeout_seconds: 0.1 }, { requester, auth, scope, urlBaseOverride: base });
    expect(slow).toMatchObject({ status: 'down', http_status: null });
    expect(slow.error).toMatch(/timed out/);
    const refused = await probeHealth({ path: '/', expected_status: 200, timeout_seconds: 1 }, { requester, auth, scope, urlBaseOverride: 'http://127.0.0.1:9' });
    expect(refused).toMatchObject({ status: 'down', http_status: null });
    expect(JSON.stringify(refused)).not.toContain('probe-secret-token');
  });
});
