import { describe, expect, it } from 'vitest';
import { signedDelivery } from '../service/fixtures.js';
import { postHead, rawClient } from './raw-client.js';
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
