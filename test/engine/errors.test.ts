import { afterEach, describe, expect, it } from 'vitest';
import type { AirbyteMessage } from '../../runtime/protocol/messages.js';
import type { Logger } from '../../runtime/sync/index.js';
import { errors, issues, manifest, read, records, startServer, statuses, type TestServer } from './support.js';

let server: TestServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

const TOKEN = 'ghp_SuperSecretToken123456';
const bearer = `auth: { type: bearer, token: "{{ config.token }}" }`;
const simple = `    request: { path: /items }`;

describe('read: errors and retries', () => {
  it('429 with Retry-After waits what the API asked (through the injected sleep), then succeeds', async () => {
    let calls = 0;
    server = await startServer(() => (++calls === 1 ? { status: 429, headers: { 'retry-after': '7' }, body: { message: 'slow down' } } : { body: issues(3) }));
    const { messages, sleeps } = await read(manifest(simple), { base_url: server.url });
    expect(sleeps).toEqual([7000]);
    expect(records(messages)).toHaveLength(3);
    expect(errors(messages)).toEqual([]);
  });

  it('a burst of 5xx is retried with backoff and the read completes', async () => {
    let calls = 0;
    server = await startServer(() => (++calls <= 2 ? { status: 503, body: { message: 'unavailable' } } : { body: issues(2) }));
    const { messages, sleeps } = await read(manifest(simple), { base_url: server.url });
    expect(sleeps).toHaveLength(2);
    expect(records(messages)).toHaveLength(2);
    expect(statuses(messages).at(-1)).toBe('items:COMPLETE');
  });

  it('5xx past the attempt cap is a transient TRACE ERROR and the stream is INCOMPLETE', async () => {
    server = await startServer(() => ({ status: 502, body: { message: 'bad gateway' } }));
    const { messages } = await read(manifest(simple), { base_url: server.url });
    expect(server.requests).toHaveLength(3);
    expect(errors(messages)).toEqual([expect.objectContaining({ failure_type: 'transient_error', stream_descriptor: { name: 'items' } })]);
    expect(statuses(messages).at(-1)).toBe('items:INCOMPLETE');
  });

  it('401 is a config_error whose message names the credential to fix', async () => {
    server = await startServer(() => ({ status: 401, body: { message: 'Bad credentials' } }));
    const { messages } = await read(manifest(simple, bearer), { base_url: server.url, token: TOKEN });
    const [error] = errors(messages);
    expect(error).toMatchObject({ failure_type: 'config_error', internal_message: 'AUTH_INVALID_CREDENTIALS' });
    expect(error!.message).toContain('"token"');
  });

  it('a timeout is retried, then reported as transient', async () => {
    server = await startServer(() => ({ body: issues(1), delayMs: 300 }));
    const { messages } = await read(manifest(simple).replace('url_base: "{{ config.base_url }}"', 'url_base: "{{ config.base_url }}"\n  timeout_ms: 50'), { base_url: server.url });
    expect(server.requests).toHaveLength(3);
    expect(errors(messages)[0]).toMatchObject({ failure_type: 'transient_error', message: expect.stringMatching(/timed out/) });
  });

  it('secrets never appear in any emitted message or log line, even when the API echoes them', async () => {
    server = await startServer(({ headers, query }) => {
      if (query.get('page') === '2') return { status: 500, body: { message: `internal error for ${String(headers.authorization)}` } };
      const echoed = issues(2).map((r) => ({ ...r, note: `seen with ${String(headers.authorization)}` }));
      return { status: 200, headers: { link: `<${server!.url}/items?page=2&token=${TOKEN}>; rel="next"` }, body: echoed };
    });
    const lines: string[] = [];
    const logger: Logger = { debug: (o, m) => lines.push(JSON.stringify([o, m])), info: (o, m) => lines.push(JSON.stringify([o, m])), warn: (o, m) => lines.push(JSON.stringify([o, m])), error: (o, m) => lines.push(JSON.stringify([o, m])) };
    const yaml = manifest(`${simple}\n    pagination: { type: link_header }`, bearer);
    const { messages } = await read(yaml, { base_url: server.url, token: TOKEN }, { logger });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(errors(messages)).toHaveLength(1);
    const emitted = messages.map((m: AirbyteMessage) => JSON.stringify(m));
    expect(emitted.join('\n')).not.toContain(TOKEN);
    expect(records(messages)[0]).toMatchObject({ note: 'seen with Bearer ***' });
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.length).toBeGreaterThan(0);
  });

  it('check: 401 gives CONNECTION_STATUS FAILED naming the credential, without the secret', async () => {
    server = await startServer(({ headers }) => ({ status: 401, body: { message: `token ${String(headers.authorization)} is revoked` } }));
    const { createConnector } = await import('../../runtime/sync/index.js');
    const { parseManifest } = await import('../../runtime/manifest/index.js');
    const connector = createConnector({
      manifest: parseManifest(manifest(simple, `${bearer}\ncheck: { path: /user, message: "Use a token with the repo scope" }`), 'test.yaml'),
      config: { base_url: server.url, token: TOKEN },
      connectionId: 'check-401',
      sleep: async () => {},
    });
    const status = await connector.check();
    expect(status).toMatchObject({ type: 'CONNECTION_STATUS', connectionStatus: { status: 'FAILED' } });
    const text = JSON.stringify(status);
    expect(text).toContain('Use a token with the repo scope');
    expect(text).toContain('"token');
    expect(text).not.toContain(TOKEN);
    expect(server.requests[0]!.path).toBe('/user');
  });

  describe('on_response action fail with failure_type', () => {
    const rule = (failureType: string) => `  on_response:
    - when: "status = 404"
      action: fail
      message: "{{ partition.repo }} not found"${failureType ? `\n      failure_type: ${failureType}` : ''}`;
    const stream = `    partitions: { list: "{{ ['a/b'] }}", as: repo }
    request: { path: "/repos/{{ partition.repo }}" }`;
    const withRule = (failureType: string) => manifest(stream).replace('  retry: {', `${rule(failureType)}\n  retry: {`);
    const cases = [
      { failureType: '', expected: 'system_error' },
      { failureType: 'config', expected: 'config_error' },
      { failureType: 'transient', expected: 'transient_error' },
      { failureType: 'system', expected: 'system_error' },
    ];
    for (const { failureType, expected } of cases) {
      it(`failure_type ${failureType || '(absent)'} → TRACE failure_type ${expected}`, async () => {
        server = await startServer(() => ({ status: 404, body: { message: 'Not Found' } }));
        const { messages } = await read(withRule(failureType), { base_url: server.url });
        expect(errors(messages)).toEqual([expect.objectContaining({ failure_type: expected, internal_message: 'HTTP_STATUS', message: expect.stringContaining('a/b not found') })]);
        expect(server!.requests).toHaveLength(1); // a failure is not retried
      });
    }
  });
});
