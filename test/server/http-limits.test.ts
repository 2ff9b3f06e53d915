import { describe, expect, it } from 'vitest';
import { createService } from '../../runtime/service/index.js';
import { hooksManifest, SECRET, signedDelivery, TEST_ENV } from '../service/fixtures.js';
import { parseResponse, postHead, rawClient } from './raw-client.js';
import { servedPerTest } from './served.js';

/**
 * A client that starts a request and stops sending must not hold its socket (and the bytes read)
 * for good, and a webhook that cannot be taken is refused before its body is read. Each test would
 * hang (and time out) without the limit it checks; none measures how long anything took.
 */

const BIG = 25 * 1024 * 1024;
/** Within the hooks connector's own limit (1 MiB), and large enough (over 64 KiB) for the inactivity timeout. */
const LARGE = 1_000_000;
const served = servedPerTest();

describe('HTTP limits', () => {
  it('destroys a socket that stalls mid-body once it has been idle for idleTimeoutMs', async () => {
    const ctx = await served.start({ idleTimeoutMs: 150, requestTimeoutMs: 600_000 });
    const client = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', LARGE) + '{"acti');
    // Nothing more is sent: only the inactivity timeout can end this.
    await client.closed;
    expect(ctx.service.store.listDeliveries({ limit: 10 })).toHaveLength(0);
  }, 10_000);

  it('answers 408 in our error shape when a trickling request is not complete within requestTimeoutMs', async () => {
    const ctx = await served.start({ idleTimeoutMs: 600_000, requestTimeoutMs: 200 });
    const client = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', LARGE));
    // One byte every 20 ms: never idle, never complete.
    const drip = setInterval(() => client.socket.writable && client.socket.write('x'), 20);
    try {
      const raw = await client.closed;
      expect(parseResponse(raw)).toEqual({
        status: 408,
        body: { error: { code: 'REQUEST_TIMEOUT', message: expect.any(String), hint: expect.stringContaining('whole body') } },
      });
      // Refused before any route saw it: counted by its code, not among the deliveries.
      const metrics = await (await fetch(`http://127.0.0.1:${ctx.port}/metrics`)).text();
      expect(metrics).toMatch(/^gwi_http_refused_total\{code="REQUEST_TIMEOUT"\} 1$/m);
      expect(metrics).not.toMatch(/^gwi_webhook_deliveries_total\{/m);
    } finally {
      clearInterval(drip);
    }
  }, 10_000);

  it('answers 404 for an unknown connector or connection before reading the body, and counts it', async () => {
    const ctx = await served.start({ idleTimeoutMs: 600_000, requestTimeoutMs: 600_000 });
    for (const path of ['/webhooks/nope/acme', '/webhooks/hooks/nobody']) {
      // 25 MB announced, none sent: the answer can only come before the body.
      const client = await rawClient(ctx.port, postHead(path, BIG));
      const raw = await client.until('}}');
      expect(parseResponse(raw)).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: expect.any(String) } } });
      client.socket.destroy();
    }
    // Chunked (no Content-Length) to an unknown connection: the same.
    const chunked = await rawClient(ctx.port, postHead('/webhooks/hooks/nobody', 0).replace('content-length: 0', 'transfer-encoding: chunked'));
    expect(parseResponse(await chunked.until('}}')).status).toBe(404);
    chunked.socket.destroy();

    const metrics = await (await fetch(`http://127.0.0.1:${ctx.port}/metrics`)).text();
    expect(metrics).toMatch(/gwi_webhook_deliveries_total\{connector="hooks",outcome="not_found"\} 2/);
    // A known connection still works (its body is read and verified).
    const d = signedDelivery();
    const ok = await fetch(`http://127.0.0.1:${ctx.port}/webhooks/hooks/acme`, { method: 'POST', headers: d.headers, body: d.body });
    expect(ok.status).toBe(202);
  }, 10_000);

  it('still answers 503 for a connection the service cannot run, without reading the body', async () => {
    // Stored under one secret key, started under another: `acme` is unavailable.
    const first = await createService({ dataDir: served.dir, manifests: [hooksManifest()], env: TEST_ENV, background: false });
    first.putConnection({ id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
    await first.close();
    const ctx = await served.start({ idleTimeoutMs: 600_000 }, { env: { GWI_SECRET_KEY: 'c'.repeat(64) } }, false);
    const client = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', BIG));
    expect(parseResponse(await client.until('}}'))).toMatchObject({ status: 503, body: { error: { code: 'CONNECTION_UNAVAILABLE' } } });
    client.socket.destroy();
  }, 10_000);

  it("refuses a body over its connector's own limit before reading it, not at the largest limit of any connector", async () => {
    const ctx = await served.start({ idleTimeoutMs: 600_000, requestTimeoutMs: 600_000 });
    // hooks accepts 1 MiB; 2 MiB announced, none sent: the answer can only come before the body.
    const client = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', 2 * 1024 * 1024));
    expect(parseResponse(await client.until('}}'))).toMatchObject({ status: 413, body: { error: { code: 'WEBHOOK_BODY', message: 'body is larger than 1048576 bytes' } } });
    client.socket.destroy();
  }, 10_000);

  it('refuses bodies past the upload buffer with 503 SERVER_BUSY (unread when announced), and takes them again once it is free', async () => {
    const ctx = await served.start({ idleTimeoutMs: 600_000, requestTimeoutMs: 600_000, uploadBufferBytes: 64 * 1024 });
    // One upload holds 60 KB of the 64 KiB and stalls.
    const holder = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', 64_000) + 'x'.repeat(60_000));
    // Announced, does not fit: refused before its body is read (asked again until the holder's bytes have arrived).
    let refusal: unknown;
    let refusalRaw = '';
    for (let i = 0; i < 100 && refusal === undefined; i++) {
      const announced = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', 10_000));
      const raw = await Promise.race([announced.until('}}'), new Promise<string>((resolve) => setTimeout(() => resolve(''), 50))]);
      if (raw) {
        refusal = parseResponse(raw);
        refusalRaw = raw;
      }
      announced.socket.destroy();
    }
    expect(refusal).toMatchObject({ status: 503, body: { error: { code: 'SERVER_BUSY' } } });
    expect(refusalRaw).toMatch(/\r\nretry-after: 5\r\n/i);
    // Chunked (no length): refused when its first chunk does not fit.
    const chunked = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', 0).replace('content-length: 0', 'transfer-encoding: chunked') + `2710\r\n${'y'.repeat(10_000)}\r\n`);
    expect(parseResponse(await chunked.until('}}'))).toMatchObject({ status: 503, body: { error: { code: 'SERVER_BUSY' } } });
    chunked.socket.destroy();
    expect(ctx.service.store.listDeliveries({ limit: 10 })).toHaveLength(0);
    const metrics = await (await fetch(`http://127.0.0.1:${ctx.port}/metrics`)).text();
    expect(metrics).toMatch(/gwi_webhook_deliveries_total\{connector="hooks",outcome="unavailable"\} 2/);

    // The stalled upload goes: its bytes are given back, and a webhook is taken again.
    holder.socket.destroy();
    await holder.closed;
    let status = 0;
    for (let i = 0; i < 50 && status !== 202; i++) {
      const d = signedDelivery();
      status = (await fetch(`http://127.0.0.1:${ctx.port}/webhooks/hooks/acme`, { method: 'POST', headers: d.headers, body: d.body })).status;
      if (status !== 202) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(202);
    // Stored bodies give their bytes back: many more than the buffer holds at once go through.
    for (let i = 0; i < 40; i++) {
      const d = signedDelivery({ title: 't'.repeat(8_000) });
      expect((await fetch(`http://127.0.0.1:${ctx.port}/webhooks/hooks/acme`, { method: 'POST', headers: d.headers, body: d.body })).status).toBe(202);
    }
  }, 10_000);
});
