import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { answerHandshake } from './handshake.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const SLACK = [{ when: "type = 'url_verification'", respond: "{ 'challenge': challenge }" }];

describe('answerHandshake (webhooks.handshakes)', () => {
  it("answers Slack's url_verification with the challenge, and nothing for an event", async () => {
    expect(await answerHandshake(SLACK, json({ type: 'url_verification', challenge: 'c-1', token: 't' }), {}, 'application/json')).toEqual({ status: 200, body: { challenge: 'c-1' } });
    expect(await answerHandshake(SLACK, json({ type: 'event_callback', event_id: 'Ev1', event: { type: 'message' } }), {}, 'application/json')).toBeUndefined();
  });

  it('the first handshake whose `when` is true answers, with its status; `$headers` and form bodies are read', async () => {
    const handshakes = [
      { when: "$headers.`x-ping` = 'yes'", respond: "'pong'", status: 204 },
      { when: 'ssl_check = "1"', respond: '{}' },
      { when: 'true', respond: "'last'" },
    ];
    expect(await answerHandshake(handshakes, json({}), { 'x-ping': 'yes' }, 'application/json')).toEqual({ status: 204, body: 'pong' });
    expect(await answerHandshake(handshakes, Buffer.from('ssl_check=1&token=x'), {}, 'application/x-www-form-urlencoded')).toEqual({ status: 200, body: {} });
    expect(await answerHandshake(handshakes, json({}), {}, 'application/json')).toEqual({ status: 200, body: 'last' });
  });

  it('a body that cannot be parsed is no handshake: the delivery path refuses it with its own message', async () => {
    expect(await answerHandshake(SLACK, Buffer.from('{"type": "url_verification"'), {}, 'application/json')).toBeUndefined();
  });

  it('a `respond` that gives nothing, or an expression that fails, is the manifest’s fault: WEBHOOK_MISCONFIGURED naming the key', async () => {
    const plain = [{ when: "type = 'url_verification'", respond: 'challenge' }];
    const nothing = await answerHandshake(plain, json({ type: 'url_verification' }), {}, 'application/json').catch((error: unknown) => error);
    expect(nothing).toBeInstanceOf(ConnectorError);
    expect(nothing).toMatchObject({ code: 'WEBHOOK_MISCONFIGURED', message: 'webhooks.handshakes[0].respond gave nothing for this request', location: { path: 'webhooks.handshakes[0].respond' } });
    const failing = await answerHandshake([{ when: '$number("x")', respond: '1' }], json({}), {}, 'application/json').catch((error: unknown) => error);
    expect(failing).toMatchObject({ code: 'WEBHOOK_MISCONFIGURED', location: { path: 'webhooks.handshakes[0].when' } });
    expect((failing as Error).message).toMatch(/^webhooks\.handshakes\[0\]\.when failed for this request: /);
  });
});
