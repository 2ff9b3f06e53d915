import { describe, expect, it } from 'vitest';
import { parseResponse, postHead, rawClient } from './raw-client.js';
import { servedPerTest } from './served.js';

/** What Node refuses before any route (headers too large, broken framing) is answered in our error shape, and counted. */

const refusedCount = async (port: number, code: string) => {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^gwi_http_refused_total\\{code="${code}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
};

const served = servedPerTest();
const ERROR_SHAPE = { error: { code: expect.any(String), message: expect.any(String), hint: expect.any(String) } };

describe('client errors', () => {
  it('answers 431 {"error": {code, message, hint}} for headers over the limit', async () => {
    const ctx = await served.start({});
    const client = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', 2, { 'x-filler': 'x'.repeat(20_000) }) + '{}');
    const reply = parseResponse(await client.closed);
    expect(reply).toEqual({ status: 431, body: ERROR_SHAPE });
    expect(reply.body).toMatchObject({ error: { code: 'HEADERS_TOO_LARGE' } });
    expect(await refusedCount(ctx.port, 'HEADERS_TOO_LARGE')).toBe(1);
  });

  it.each([
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['two different Content-Lengths', 'POST /webhooks/hooks/acme HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n{}'],
    ['a bad chunk size', 'POST /webhooks/hooks/acme HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'],
  ])('answers 400 in our shape for %s', async (_name, raw) => {
    const ctx = await served.start({});
    const client = await rawClient(ctx.port, raw);
    const reply = parseResponse(await client.closed);
    expect(reply).toEqual({ status: 400, body: ERROR_SHAPE });
    expect(reply.body).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect(await refusedCount(ctx.port, 'BAD_REQUEST')).toBe(1);
  });

  it('does not count a client that closes its side mid-body as a refused request (nobody is there to refuse)', async () => {
    const ctx = await served.start({});
    const client = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', 100) + '{"a":');
    client.socket.end();
    await client.closed;
    expect(await refusedCount(ctx.port, 'BAD_REQUEST')).toBe(0);
  });
});
