import { describe, expect, it } from 'vitest';
import { isConnectorError } from '../errors/index.js';
import { deliveryKeysFromHeaders, parseDelivery } from './parse-delivery.js';
import { renderSecrets } from './secrets.js';

const github = { delivery_id: "{{ headers.`x-github-hook-id` & ':' & headers.`x-github-delivery` }}", event: '{{ headers.`x-github-event` }}' };
const headers = { 'x-github-hook-id': '42', 'x-github-delivery': 'abc-guid', 'x-github-event': 'pull_request' };

describe('parseDelivery', () => {
  it('parses JSON and renders the GitHub dedupe key (hook id + delivery GUID)', async () => {
    const r = await parseDelivery(github, Buffer.from('{"action":"opened"}'), headers, 'application/json; charset=utf-8');
    expect(r).toEqual({ deliveryId: '42:abc-guid', event: 'pull_request', payload: { action: 'opened' } });
  });
  it('parses a form-encoded body with payload= as GitHub sends it', async () => {
    const body = Buffer.from('payload=' + encodeURIComponent('{"action":"closed","title":"é 🚀"}'));
    const r = await parseDelivery(github, body, headers, 'application/x-www-form-urlencoded');
    expect(r.payload).toEqual({ action: 'closed', title: 'é 🚀' });
  });
  it('parses a plain form (Slack slash command) into fields', async () => {
    const r = await parseDelivery({ delivery_id: '{{ body.trigger_id }}', event: '{{ body.command }}' }, Buffer.from('command=%2Fdo&trigger_id=t1'), {}, 'application/x-www-form-urlencoded');
    expect(r).toMatchObject({ deliveryId: 't1', event: '/do' });
  });
  it('takes the dedupe key from the body when the provider puts it there', async () => {
    const r = await parseDelivery({ delivery_id: '{{ body.event_id }}', event: '{{ body.event.type }}' }, Buffer.from('{"event_id":"Ev1","event":{"type":"message"}}'), {}, 'application/json');
    expect(r).toMatchObject({ deliveryId: 'Ev1', event: 'message' });
  });
  it('throws WEBHOOK_BODY on malformed or truncated JSON', async () => {
    for (const body of ['{"a":', 'not json', '', '\u0000\u0001']) {
      const error = await parseDelivery(github, Buffer.from(body), headers, 'application/json').catch((e: unknown) => e);
      expect(isConnectorError(error) && error.code).toBe('WEBHOOK_BODY');
    }
  });
  it('throws WEBHOOK_BODY when the delivery id headers are missing', async () => {
    const error = await parseDelivery(github, Buffer.from('{}'), { 'x-github-event': 'push' }, 'application/json').catch((e: unknown) => e);
    expect(isConnectorError(error) && error.code).toBe('WEBHOOK_BODY');
  });
});

describe('deliveryKeysFromHeaders', () => {
  it('renders GitHub keys without the body for JSON deliveries, synchronously', () => {
    expect(deliveryKeysFromHeaders(github, headers, 'application/json')).toEqual({ deliveryId: '42:abc-guid', event: 'pull_request' });
    expect(deliveryKeysFromHeaders(github, headers, undefined)).toEqual({ deliveryId: '42:abc-guid', event: 'pull_request' });
  });
  it('declines form bodies and keys that read the body, so parseDelivery handles them', () => {
    expect(deliveryKeysFromHeaders(github, headers, 'application/x-www-form-urlencoded; charset=utf-8')).toBeUndefined();
    expect(deliveryKeysFromHeaders({ delivery_id: '{{ body.event_id }}', event: github.event }, headers, 'application/json')).toBeUndefined();
    expect(deliveryKeysFromHeaders({ delivery_id: github.delivery_id, event: '{{ body.type }}' }, headers, 'application/json')).toBeUndefined();
  });
  it('declines a path into a header\'s text (JSONata renders it)', () => {
    expect(deliveryKeysFromHeaders({ delivery_id: '{{ headers.`x-github-delivery`.part }}', event: github.event }, headers, 'application/json')).toBeUndefined();
  });
  it('throws WEBHOOK_BODY when a key header is missing', () => {
    let error: unknown;
    try {
      deliveryKeysFromHeaders(github, { 'x-github-event': 'push' }, 'application/json');
    } catch (e) {
      error = e;
    }
    expect(isConnectorError(error) && error.code).toBe('WEBHOOK_BODY');
    expect(() => deliveryKeysFromHeaders(github, { 'x-github-delivery': 'abc', 'x-github-hook-id': '42' }, 'application/json')).toThrow(/no event type/);
    expect(() => deliveryKeysFromHeaders(github, { ...headers, 'x-github-hook-id': '' }, 'application/json')).toThrow(/no delivery id/);
  });
  it('accepts ids that start or end with a separator when every part is there', async () => {
    const keyed = { delivery_id: '{{ headers.`idempotency-key` }}', event: '{{ headers.`x-event` }}' };
    for (const id of ['abc_', '-abc', 'v1.', 'a:']) {
      expect(deliveryKeysFromHeaders(keyed, { 'idempotency-key': id, 'x-event': 'push' }, 'application/json')).toEqual({ deliveryId: id, event: 'push' });
      expect((await parseDelivery({ delivery_id: '{{ body.id }}', event: 'push' }, Buffer.from(JSON.stringify({ id })), {}, 'application/json')).deliveryId).toBe(id);
    }
    expect(deliveryKeysFromHeaders(github, { ...headers, 'x-github-delivery': 'guid-' }, 'application/json')).toMatchObject({ deliveryId: '42:guid-' });
  });
});

describe('renderSecrets', () => {
  it('renders one, several, or a list-valued template, dropping empty values', async () => {
    expect(await renderSecrets({ type: 'token', header: 'x', secret: '{{ config.s }}' }, { config: { s: 'a' } })).toEqual(['a']);
    expect(await renderSecrets({ type: 'token', header: 'x', secret: ['{{ config.s }}', '{{ config.old }}'] }, { config: { s: 'a', old: 'b' } })).toEqual(['a', 'b']);
    expect(await renderSecrets({ type: 'token', header: 'x', secret: '{{ config.list }}' }, { config: { list: ['a', 'b'] } })).toEqual(['a', 'b']);
    expect(await renderSecrets({ type: 'token', header: 'x', secret: '{{ config.missing }}' }, { config: {} })).toEqual([]);
  });
});
