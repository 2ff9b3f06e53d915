import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { signedDelivery } from '../service/fixtures.js';
import { parseResponse, postHead, rawClient } from './raw-client.js';
import { servedPerTest } from './served.js';

/**
 * close() (what SIGTERM runs in `serve`) waits for requests in flight, but not for ever: after the
 * grace a stalled upload is cut off, while complete requests are still answered and stored.
 * Without the deadline this test hangs on close() (no timeout or clock is asserted).
 */

const served = servedPerTest();

describe('closing with a stalled upload', () => {
  it('ends close() after the grace, cuts the stalled upload off, and still answers a complete delivery', async () => {
    // Idle and request timeouts far away: only the close deadline can end the stalled request.
    const ctx = await served.start({ idleTimeoutMs: 600_000, requestTimeoutMs: 600_000, closeGraceMs: 100 });
    const stalled = await rawClient(ctx.port, postHead('/webhooks/hooks/acme', 1000) + '{"action"');
    // The server has taken the request in once a complete one sent after it is answered.
    const d = signedDelivery();
    const ok = await fetch(`http://127.0.0.1:${ctx.port}/webhooks/hooks/acme`, { method: 'POST', headers: d.headers, body: d.body });
    expect(ok.status).toBe(202);

    // Another complete delivery in flight while closing: answered, not cut off.
    const late = signedDelivery();
    const lateReply = fetch(`http://127.0.0.1:${ctx.port}/webhooks/hooks/acme`, { method: 'POST', headers: late.headers, body: late.body }).then((r) => r.status, () => 0);
    await new Promise((r) => setTimeout(r, 5));
    await ctx.app.close();
    const raw = await stalled.closed;
    // The stalled upload got no answer: nothing of it was stored or acknowledged.
    expect(raw).toBe('');
    const lateStatus = await lateReply;
    // Sent before close: answered 202; or, if it reached the server only as it closed, refused (503 / connection refused).
    expect([202, 503, 0]).toContain(lateStatus);
    const stored = ctx.service.store.listDeliveries({ limit: 10 }).map((x) => x.id).sort();
    expect(stored).toEqual((lateStatus === 202 ? [d.id, late.id] : [d.id]).sort());
  }, 10_000);
});

describe('requests that arrive while closing', () => {
  it('are answered 503 SHUTTING_DOWN in the error shape, unread and with Connection: close, counted, and logged once; the one before is answered as usual', async () => {
    const lines: Array<{ msg: string; refused?: number }> = [];
    const appLogger = pino({ level: 'info', base: null, timestamp: false }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const ctx = await served.start({ idleTimeoutMs: 600_000, requestTimeoutMs: 600_000, closeGraceMs: 2_000 }, { appLogger });
    const d = signedDelivery();
    const head = Object.entries({ host: '127.0.0.1', 'content-length': String(d.body.length), ...d.headers }).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    // A keep-alive connection busy with an upload when close() begins...
    const client = await rawClient(ctx.port, `POST /webhooks/hooks/acme HTTP/1.1\r\n${head}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    const closed = ctx.app.close();
    // ...finishes it, and sends its next request right behind it: another delivery.
    const next = signedDelivery();
    const nextHead = Object.entries({ host: '127.0.0.1', 'content-length': String(next.body.length), ...next.headers }).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    client.socket.write(Buffer.concat([d.body, Buffer.from(`POST /webhooks/hooks/acme HTTP/1.1\r\n${nextHead}\r\n\r\n`), next.body]));
    const raw = await client.closed;
    await closed;
    const [first, second] = raw.split(/(?=HTTP\/1\.1 )/);
    expect(parseResponse(first!)).toMatchObject({ status: 202 });
    expect(parseResponse(second!)).toEqual({ status: 503, body: { error: { code: 'SHUTTING_DOWN', message: expect.stringContaining('shutting down'), hint: expect.stringContaining('Retry') } } });
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(ctx.service.store.listDeliveries({ limit: 10 }).map((x) => x.id)).toEqual([d.id]);
    // One line for all of them, not one per request, naming the connectors whose webhooks need redelivering; counted as unavailable.
    expect(lines.filter((line) => line.msg.includes('refused while shutting down'))).toEqual([
      expect.objectContaining({ level: 40, refused: 1, webhooks: { hooks: 1 }, msg: expect.stringContaining('redeliver the webhooks of providers that do not retry') }),
    ]);
    expect(await ctx.service.metrics.registry.getSingleMetricAsString('gwi_webhook_deliveries_total')).toContain('gwi_webhook_deliveries_total{connector="hooks",outcome="unavailable"} 1');
  }, 10_000);
});
