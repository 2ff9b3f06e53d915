import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { answerHandshake } from './handshake.js';
import { parseBody } from './parse-delivery.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
/** As ingest calls it: with the body parsed. */
const answer = (handshakes: Parameters<typeof answerHandshake>[0], body: Buffer, headers: Record<string, string>, contentType: string) =>
  answerHandshake(handshakes, parseBody(body, contentType), headers);
const SLACK = [{ when: "type = 'url_verification'", respond: "{ 'challenge': challenge }" }];

describe('answerHandshake (webhooks.handshakes)', () => {
  it("answers Slack's url_verification with the challenge, and nothing for an event", async () => {
    expect(await answer(SLACK, json({ type: 'url_verification', challenge: 'c-1', token: 't' }), {}, 'application/json')).toEqual({ status: 200, body: { challenge: 'c-1' } });
    expect(await answer(SLACK, json({ type: 'event_callback', event_id: 'Ev1', event: { type: 'message' } }), {}, 'application/json')).toBeUndefined();
  });

  it('the first handshake whose `when` is true answers, with its status; `$headers` and form bodies are read', async () => {
    const handshakes = [
      { when: "$headers.`x-ping` = 'yes'", respond: "'pong'", status: 203 },
      { when: 'ssl_check = "1"', respond: '{}' },
      { when: 'true', respond: "'last'" },
    ];
    expect(await answer(handshakes, json({}), { 'x-ping': 'yes' }, 'application/json')).toEqual({ status: 203, body: 'pong' });
    expect(await answer(handshakes, Buffer.from('ssl_check=1&token=x'), {}, 'application/x-www-form-urlencoded')).toEqual({ status: 200, body: {} });
    expect(await answer(handshakes, json({}), {}, 'application/json')).toEqual({ status: 200, body: 'last' });
  });

  it('a `respond` that gives nothing, or an expression that fails, is the manifest’s fault: WEBHOOK_MISCONFIGURED naming the key', async () => {
    const plain = [{ when: "type = 'url_verification'", respond: 'challenge' }];
    const nothing = await answer(plain, json({ type: 'url_verification' }), {}, 'application/json').catch((error: unknown) => error);
    expect(nothing).toBeInstanceOf(ConnectorError);
    expect(nothing).toMatchObject({ code: 'WEBHOOK_MISCONFIGURED', message: 'webhooks.handshakes[0].respond gave nothing for this request', location: { path: 'webhooks.handshakes[0].respond' } });
    const failing = await answer([{ when: '$number("x")', respond: '1' }], json({}), {}, 'application/json').catch((error: unknown) => error);
    expect(failing).toMatchObject({ code: 'WEBHOOK_MISCONFIGURED', location: { path: 'webhooks.handshakes[0].when' } });
    expect((failing as Error).message).toMatch(/^webhooks\.handshakes\[0\]\.when failed for this request: /);
    // A function is not JSON: refused here, not thrown while the answer is written (review11 #1).
    for (const respond of ['function($x) { $x }', '$uppercase', "{ 'f': $lowercase }"]) {
      const fn = await answer([{ when: 'true', respond }], json({}), {}, 'application/json').catch((error: unknown) => error);
      expect(fn, respond).toMatchObject({ code: 'WEBHOOK_MISCONFIGURED', message: 'webhooks.handshakes[0].respond gave a function for this request, which is not JSON' });
    }
  });
});
