import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifySignature } from '../runtime/webhooks/index.js';
import type { SignatureNode } from '../runtime/webhooks/schema.js';
import { secretConfigKey, signDelivery, testSecretFor } from './webhook-harness.js';

const github: SignatureNode = { type: 'hmac', algorithm: 'sha256', header: 'X-Hub-Signature-256', prefix: 'sha256=', encoding: 'hex', secret: '{{ config.webhook_secret }}' };

describe('signDelivery', () => {
  it('signs GitHub’s published test vector', async () => {
    const signed = await signDelivery(github, 'Hello, World!', "It's a Secret to Everybody");
    expect(signed.headers['x-hub-signature-256']).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('puts the digest into a sample’s placeholder, keeping the provider’s prefix', async () => {
    const rule: SignatureNode = { ...github, prefix: 'sha256:' } as SignatureNode;
    const signed = await signDelivery(rule, 'Hello, World!', "It's a Secret to Everybody", { headers: { 'X-Hub-Signature-256': 'sha256=<hmac-sha256-hex>' } });
    expect(signed.headers['x-hub-signature-256']).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('signs Standard Webhooks deliveries that the reference library verifies', async () => {
    const rule: SignatureNode = { type: 'standard_webhooks', secret: '{{ config.signing_token }}', tolerance_seconds: 300 };
    const secret = testSecretFor(rule);
    const now = new Date();
    const signed = await signDelivery(rule, { test: 1 }, secret, { now, id: 'msg_1' });
    expect(() => new Webhook(secret).verify(signed.body, signed.headers)).not.toThrow();
    expect(await verifySignature(rule, signed.body, signed.headers, [secret], now)).toEqual({ ok: true });
  });

  it('signs Slack-style content (timestamp header + template) that the runtime verifies', async () => {
    const rule: SignatureNode = {
      type: 'hmac', algorithm: 'sha256', header: 'X-Slack-Signature', prefix: 'v0=', encoding: 'hex',
      signed_content: 'v0:{{ headers.`x-slack-request-timestamp` }}:{{ body }}', secret: '{{ config.signing_secret }}',
      timestamp: { header: 'X-Slack-Request-Timestamp', unit: 'seconds', tolerance_seconds: 300 },
    };
    const now = new Date();
    const signed = await signDelivery(rule, { type: 'event_callback' }, 's3cret', { now });
    expect(await verifySignature(rule, signed.body, signed.headers, ['s3cret'], now)).toEqual({ ok: true });
    expect((await verifySignature(rule, signed.body, signed.headers, ['other'], now)).ok).toBe(false);
  });

  it('finds the config key a secret template reads', () => {
    expect(secretConfigKey(github)).toBe('webhook_secret');
    expect(secretConfigKey({ type: 'none' })).toBeUndefined();
  });
});
