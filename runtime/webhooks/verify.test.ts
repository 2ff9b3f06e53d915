import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { SignatureNode } from './schema.js';
import { verifySignature } from './verify.js';

const github: SignatureNode = { type: 'hmac', algorithm: 'sha256', header: 'X-Hub-Signature-256', prefix: 'sha256=', encoding: 'hex', secret: '{{ config.webhook_secret }}' };
const slack: SignatureNode = {
  type: 'hmac', algorithm: 'sha256', header: 'X-Slack-Signature', prefix: 'v0=', encoding: 'hex', secret: '{{ config.signing_secret }}',
  signed_content: 'v0:{{ headers.`x-slack-request-timestamp` }}:{{ body }}',
  timestamp: { header: 'X-Slack-Request-Timestamp', unit: 'seconds', tolerance_seconds: 300 },
};
const standard: SignatureNode = { type: 'standard_webhooks', secret: '{{ config.webhook_secret }}', tolerance_seconds: 300 };
const gitlabToken: SignatureNode = { type: 'token', header: 'X-Gitlab-Token', secret: '{{ config.webhook_token }}' };

const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_VECTOR = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const SLACK_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SLACK_TS = '1531420618';
const SLACK_VECTOR = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const SW_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SW_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SW_TS = '1614265330';
const SW_BODY = '{"test": 2432232314}';
const SW_VECTOR = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

const at = (seconds: string | number) => new Date(Number(seconds) * 1000);
const hmacHex = (secret: string, body: Buffer | string) => createHmac('sha256', secret).update(body).digest('hex');

describe('verifySignature: GitHub (hmac sha256, sha256= prefix)', () => {
  const body = Buffer.from('Hello, World!');
  it('accepts the documented "Hello, World!" vector', async () => {
    expect(await verifySignature(github, body, { 'x-hub-signature-256': GITHUB_VECTOR }, [GITHUB_SECRET])).toEqual({ ok: true });
  });
  it('refuses a tampered body', async () => {
    const r = await verifySignature(github, Buffer.from('Hello, World?'), { 'x-hub-signature-256': GITHUB_VECTOR }, [GITHUB_SECRET]);
    expect(r).toMatchObject({ ok: false, reason: 'mismatch' });
  });
  it('refuses a wrong secret', async () => {
    expect(await verifySignature(github, body, { 'x-hub-signature-256': GITHUB_VECTOR }, ['nope'])).toMatchObject({ ok: false, reason: 'mismatch' });
  });
  it('reports a missing header as missing_header, not a mismatch', async () => {
    expect(await verifySignature(github, body, {}, [GITHUB_SECRET])).toMatchObject({ ok: false, reason: 'missing_header' });
  });
  it('reports no configured secret as misconfigured', async () => {
    expect(await verifySignature(github, body, { 'x-hub-signature-256': GITHUB_VECTOR }, [])).toMatchObject({ ok: false, reason: 'misconfigured' });
  });
  it('never throws on a signature of the wrong length or garbage', async () => {
    for (const sig of ['sha256=', 'sha256=abc', 'sha256=' + 'z'.repeat(64), 'sha256=' + 'ab'.repeat(100), 'md5=123', '\u00ff\u00fe']) {
      expect(await verifySignature(github, body, { 'x-hub-signature-256': sig }, [GITHUB_SECRET])).toMatchObject({ ok: false });
    }
  });
  it('accepts any of several secrets (rotation)', async () => {
    expect(await verifySignature(github, body, { 'x-hub-signature-256': GITHUB_VECTOR }, ['old-secret', GITHUB_SECRET])).toEqual({ ok: true });
  });
  it('verifies emoji and non-ASCII bodies byte for byte', async () => {
    const text = Buffer.from('{"title":"Fix 🐛 in naïve Ünïcödé — 日本語"}');
    const sig = 'sha256=' + hmacHex(GITHUB_SECRET, text);
    expect(await verifySignature(github, text, { 'X-Hub-Signature-256': sig }, [GITHUB_SECRET])).toEqual({ ok: true });
    const invalidUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    expect(await verifySignature(github, invalidUtf8, { 'x-hub-signature-256': 'sha256=' + hmacHex(GITHUB_SECRET, invalidUtf8) }, [GITHUB_SECRET])).toEqual({ ok: true });
  });
  it('takes the first value of a repeated header', async () => {
    expect(await verifySignature(github, body, { 'x-hub-signature-256': [GITHUB_VECTOR, 'sha256=00'] }, [GITHUB_SECRET])).toEqual({ ok: true });
  });
});

describe('verifySignature: other hmac shapes', () => {
  it('sha1 with the legacy X-Hub-Signature header', async () => {
    const rule: SignatureNode = { type: 'hmac', algorithm: 'sha1', header: 'X-Hub-Signature', prefix: 'sha1=', encoding: 'hex', secret: 's' };
    const sig = 'sha1=' + createHmac('sha1', 's').update('x').digest('hex');
    expect(await verifySignature(rule, Buffer.from('x'), { 'x-hub-signature': sig }, ['s'])).toEqual({ ok: true });
  });
  it('sha512 base64 without prefix', async () => {
    const rule: SignatureNode = { type: 'hmac', algorithm: 'sha512', header: 'X-Sig', prefix: '', encoding: 'base64', secret: 's' };
    const sig = createHmac('sha512', 's').update('x').digest('base64');
    expect(await verifySignature(rule, Buffer.from('x'), { 'x-sig': sig }, ['s'])).toEqual({ ok: true });
    expect(await verifySignature(rule, Buffer.from('y'), { 'x-sig': sig }, ['s'])).toMatchObject({ reason: 'mismatch' });
  });
  it('Linear: hex without prefix, timestamp in the body in milliseconds', async () => {
    const rule: SignatureNode = {
      type: 'hmac', algorithm: 'sha256', header: 'Linear-Signature', prefix: '', encoding: 'hex', secret: 's',
      timestamp: { body: 'webhookTimestamp', unit: 'milliseconds', tolerance_seconds: 60 },
    };
    const now = new Date('2026-01-01T00:00:00Z');
    const fresh = Buffer.from(JSON.stringify({ action: 'create', webhookTimestamp: now.getTime() - 5000 }));
    expect(await verifySignature(rule, fresh, { 'linear-signature': hmacHex('s', fresh) }, ['s'], now)).toEqual({ ok: true });
    const old = Buffer.from(JSON.stringify({ action: 'create', webhookTimestamp: now.getTime() - 61_000 }));
    expect(await verifySignature(rule, old, { 'linear-signature': hmacHex('s', old) }, ['s'], now)).toMatchObject({ reason: 'stale_timestamp' });
    // A body timestamp is read only from a body whose signature matched: unsigned bytes are not parsed.
    const junk = Buffer.from('{"webhookTimestamp": not json');
    expect(await verifySignature(rule, junk, { 'linear-signature': 'ab'.repeat(32) }, ['s'], now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(await verifySignature(rule, junk, { 'linear-signature': hmacHex('s', junk) }, ['s'], now)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('verifySignature: signed_content over a body that is not UTF-8', () => {
  const rule: SignatureNode = { type: 'hmac', algorithm: 'sha256', header: 'X-Sig', prefix: 'v0=', encoding: 'hex', secret: 's', signed_content: 'v0:{{ headers.`x-ts` }}:{{ body }}' };
  const sign = (body: Buffer) => 'v0=' + hmacHex('s', Buffer.concat([Buffer.from('v0:1:'), body]));
  it('signs the bytes as sent, so two bodies that differ only in invalid bytes do not share a signature', async () => {
    const a = Buffer.from([0x61, 0xff, 0x62]);
    const b = Buffer.from([0x61, 0xfe, 0x62]);
    expect(await verifySignature(rule, a, { 'x-sig': sign(a), 'x-ts': '1' }, ['s'])).toEqual({ ok: true });
    expect(await verifySignature(rule, b, { 'x-sig': sign(a), 'x-ts': '1' }, ['s'])).toMatchObject({ ok: false, reason: 'mismatch' });
  });
});

describe('verifySignature: Slack (v0:{ts}:{body})', () => {
  const headers = { 'x-slack-signature': SLACK_VECTOR, 'x-slack-request-timestamp': SLACK_TS };
  it("accepts Slack's documented example", async () => {
    expect(await verifySignature(slack, Buffer.from(SLACK_BODY), headers, [SLACK_SECRET], at(SLACK_TS))).toEqual({ ok: true });
  });
  it('refuses a stale timestamp (replay) even with a valid signature', async () => {
    expect(await verifySignature(slack, Buffer.from(SLACK_BODY), headers, [SLACK_SECRET], at(Number(SLACK_TS) + 301))).toMatchObject({ ok: false, reason: 'stale_timestamp' });
  });
  it('refuses a tampered timestamp', async () => {
    const r = await verifySignature(slack, Buffer.from(SLACK_BODY), { ...headers, 'x-slack-request-timestamp': '1531420619' }, [SLACK_SECRET], at(SLACK_TS));
    expect(r).toMatchObject({ ok: false, reason: 'mismatch' });
  });
  it('refuses a tampered body', async () => {
    expect(await verifySignature(slack, Buffer.from(SLACK_BODY + 'x'), headers, [SLACK_SECRET], at(SLACK_TS))).toMatchObject({ reason: 'mismatch' });
  });
  it('reports a missing timestamp header', async () => {
    expect(await verifySignature(slack, Buffer.from(SLACK_BODY), { 'x-slack-signature': SLACK_VECTOR }, [SLACK_SECRET], at(SLACK_TS))).toMatchObject({ reason: 'missing_header' });
  });
  it('reports a non-numeric timestamp as malformed', async () => {
    expect(await verifySignature(slack, Buffer.from(SLACK_BODY), { ...headers, 'x-slack-request-timestamp': 'yesterday' }, [SLACK_SECRET], at(SLACK_TS))).toMatchObject({ reason: 'malformed' });
  });
});

describe('verifySignature: Standard Webhooks', () => {
  const headers = { 'webhook-id': SW_ID, 'webhook-timestamp': SW_TS, 'webhook-signature': SW_VECTOR };
  it('accepts the Standard Webhooks example', async () => {
    expect(await verifySignature(standard, Buffer.from(SW_BODY), headers, [SW_SECRET], at(SW_TS))).toEqual({ ok: true });
  });
  it('accepts when one of several signatures matches (sender-side rotation)', async () => {
    const h = { ...headers, 'webhook-signature': `v1,AAAA v1a,xyz ${SW_VECTOR}` };
    expect(await verifySignature(standard, Buffer.from(SW_BODY), h, [SW_SECRET], at(SW_TS))).toEqual({ ok: true });
  });
  it('accepts with several secrets (receiver-side rotation)', async () => {
    const other = 'whsec_' + Buffer.from('another key of some length!!').toString('base64');
    expect(await verifySignature(standard, Buffer.from(SW_BODY), headers, [other, SW_SECRET], at(SW_TS))).toEqual({ ok: true });
  });
  it('skips an invalid key during rotation instead of refusing every delivery', async () => {
    for (const bad of ['whsec_abc', 'not base64 !!', 'whsec_']) {
      expect(await verifySignature(standard, Buffer.from(SW_BODY), headers, [bad, SW_SECRET], at(SW_TS))).toEqual({ ok: true });
      expect(await verifySignature(standard, Buffer.from(SW_BODY), headers, [SW_SECRET, bad], at(SW_TS))).toEqual({ ok: true });
    }
  });
  it('reports a mismatch (naming skipped keys by position) when a valid key does not match', async () => {
    const other = 'whsec_' + Buffer.from('another key of some length!!').toString('base64');
    const result = await verifySignature(standard, Buffer.from(SW_BODY), headers, ['whsec_abc', other], at(SW_TS));
    expect(result).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(result.ok || result.message).toContain('webhook secret 1 of 2 is not a valid key');
  });
  it('answers misconfigured only when no key is valid, naming them by position without their values', async () => {
    const result = await verifySignature(standard, Buffer.from(SW_BODY), headers, ['whsec_abc', 'whsec_!!!!'], at(SW_TS));
    expect(result).toMatchObject({ ok: false, reason: 'misconfigured' });
    const message = result.ok ? '' : result.message;
    expect(message).toContain('webhook secrets 1, 2 of 2 are not valid keys');
    expect(message).not.toContain('abc');
    expect(message).not.toContain('!!!!');
  });
  it('refuses a tampered body, a wrong secret, a stale timestamp and a changed id', async () => {
    const other = 'whsec_' + Buffer.from('another key of some length!!').toString('base64');
    expect(await verifySignature(standard, Buffer.from('{"test": 2432232315}'), headers, [SW_SECRET], at(SW_TS))).toMatchObject({ reason: 'mismatch' });
    expect(await verifySignature(standard, Buffer.from(SW_BODY), headers, [other], at(SW_TS))).toMatchObject({ reason: 'mismatch' });
    expect(await verifySignature(standard, Buffer.from(SW_BODY), headers, [SW_SECRET], at(Number(SW_TS) + 301))).toMatchObject({ reason: 'stale_timestamp' });
    expect(await verifySignature(standard, Buffer.from(SW_BODY), { ...headers, 'webhook-id': 'msg_other' }, [SW_SECRET], at(SW_TS))).toMatchObject({ reason: 'mismatch' });
  });
  it('reports each missing header', async () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const h: Record<string, string> = { ...headers };
      delete h[name];
      expect(await verifySignature(standard, Buffer.from(SW_BODY), h, [SW_SECRET], at(SW_TS))).toMatchObject({ reason: 'missing_header' });
    }
  });
  it('signs emoji bodies consistently with the package', async () => {
    const body = Buffer.from('{"note":"🚀 déploiement"}');
    const now = new Date('2026-03-01T00:00:00Z');
    const sig = new Webhook(SW_SECRET).sign('msg_1', now, body);
    const h = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now.getTime() / 1000), 'webhook-signature': sig };
    expect(await verifySignature(standard, body, h, [SW_SECRET], now)).toEqual({ ok: true });
  });
});

describe('verifySignature: token (GitLab legacy)', () => {
  it('accepts the token, refuses another, never throws on length mismatch', async () => {
    expect(await verifySignature(gitlabToken, Buffer.from('{}'), { 'x-gitlab-token': 'tok' }, ['tok'])).toEqual({ ok: true });
    expect(await verifySignature(gitlabToken, Buffer.from('{}'), { 'x-gitlab-token': 'tok2' }, ['tok'])).toMatchObject({ reason: 'mismatch' });
    expect(await verifySignature(gitlabToken, Buffer.from('{}'), { 'x-gitlab-token': 'tok' }, ['old', 'tok'])).toEqual({ ok: true });
    expect(await verifySignature(gitlabToken, Buffer.from('{}'), {}, ['tok'])).toMatchObject({ reason: 'missing_header' });
  });
});

describe('verifySignature: a connection without its secret says which config key to set', () => {
  const body = Buffer.from('{}');
  const cases = [
    { name: 'hmac', rule: github, key: 'config.webhook_secret' },
    { name: 'standard_webhooks', rule: standard, key: 'config.webhook_secret' },
    { name: 'token', rule: gitlabToken, key: 'config.webhook_token' },
  ];
  for (const { name, rule, key } of cases) {
    it(`${name}: names ${key}`, async () => {
      expect(await verifySignature(rule, body, {}, [])).toEqual({
        ok: false,
        reason: 'misconfigured',
        message: `webhooks.signature.secret renders no value: set ${key} for this connection`,
      });
    });
  }

  it('names every key of a rotation list, and the source of a template that is not a plain config path', async () => {
    const rotation: SignatureNode = { ...github, secret: ['{{ config.webhook_secret }}', '{{ config.webhook_secret_previous }}'] };
    expect(await verifySignature(rotation, body, {}, [])).toMatchObject({ message: 'webhooks.signature.secret renders no value: set config.webhook_secret or config.webhook_secret_previous for this connection' });
    const joined: SignatureNode = { ...gitlabToken, secret: '{{ config.prefix & config.token }}' };
    expect(await verifySignature(joined, body, {}, [])).toMatchObject({ message: 'webhooks.signature.secret renders no value: set the config values read by "{{ config.prefix & config.token }}" for this connection' });
  });
});
