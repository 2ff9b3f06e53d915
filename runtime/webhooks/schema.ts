import { Type, type Static } from '@sinclair/typebox';
import { Expr, Strict, Template } from '../manifest/schema-helpers.js';

const SecretTemplate = Type.Union([Template('A secret, e.g. "{{ config.webhook_secret }}".'), Type.Array(Template('A secret.'))], {
  description: 'The secret, or several during rotation (any match is accepted). A template may also render to a list.',
});

export const TimestampRule = Strict(
  {
    header: Type.Optional(Type.String({ description: 'Header holding the timestamp, e.g. "X-Slack-Request-Timestamp".' })),
    body: Type.Optional(Expr('Where the timestamp is in the parsed body, e.g. "webhookTimestamp".')),
    unit: Type.Union([Type.Literal('seconds'), Type.Literal('milliseconds')], { default: 'seconds' }),
    tolerance_seconds: Type.Integer({ minimum: 1, default: 300, description: 'Refuse deliveries older or newer than this (replay protection).' }),
  },
  { $id: 'TimestampRule', description: 'A signed timestamp and how far it may be from now.' },
);

export const HmacSignature = Strict(
  {
    type: Type.Literal('hmac'),
    algorithm: Type.Union([Type.Literal('sha256'), Type.Literal('sha1'), Type.Literal('sha512')], { default: 'sha256' }),
    header: Type.String({ description: 'Header with the signature, e.g. "X-Hub-Signature-256".' }),
    prefix: Type.String({ default: '', description: 'Text before the digest, e.g. "sha256=" or "v0=".' }),
    encoding: Type.Union([Type.Literal('hex'), Type.Literal('base64')], { default: 'hex' }),
    signed_content: Type.Optional(Template('What is signed when it is not just the body, over `body` (raw text) and `headers`, e.g. "v0:{{ headers.`x-slack-request-timestamp` }}:{{ body }}".')),
    secret: SecretTemplate,
    timestamp: Type.Optional(TimestampRule),
  },
  { $id: 'HmacSignature', description: 'HMAC of the raw body (GitHub, Linear, Jira, Plane, Slack).' },
);

export const StandardWebhooksSignature = Strict(
  {
    type: Type.Literal('standard_webhooks'),
    secret: SecretTemplate,
    tolerance_seconds: Type.Integer({ minimum: 1, default: 300 }),
  },
  { $id: 'StandardWebhooksSignature', description: 'Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature; GitLab signing tokens).' },
);

export const TokenSignature = Strict(
  {
    type: Type.Literal('token'),
    header: Type.String({ description: 'Header carrying the shared secret in plain text, e.g. "X-Gitlab-Token".' }),
    secret: SecretTemplate,
  },
  { $id: 'TokenSignature', description: 'A shared secret in a header, compared in constant time (GitLab legacy).' },
);

export const NoSignature = Strict({ type: Type.Literal('none') }, { $id: 'NoSignature', description: 'Unsigned webhooks (only behind a private network).' });

export const Signature = Type.Union([HmacSignature, StandardWebhooksSignature, TokenSignature, NoSignature], {
  description: 'How a delivery proves it came from the provider.',
});

export const WebhookEvent = Strict(
  {
    stream: Type.String({ description: 'The stream whose records this event carries.' }),
    record: Type.Optional(Expr('Select the record(s) in the payload, e.g. "pull_request". Default: the whole payload.')),
    partition: Type.Optional(Expr('The partition the records belong to, over the payload, e.g. "{ \'repo\': repository.full_name }".')),
    when: Type.Optional(Expr('Only deliveries for which this is true produce records, e.g. "action != \'deleted\'".')),
  },
  { $id: 'WebhookEvent', description: 'Maps one event type to records of a stream, with the stream’s own `map` and primary key.' },
);

export const WebhookHandshake = Strict(
  {
    when: Expr('True for a request that is this handshake, over the parsed body with `$headers`, e.g. "type = \'url_verification\'".'),
    respond: Expr('The JSON answer, over the parsed body with `$headers`, e.g. "{ \'challenge\': challenge }".'),
    status: Type.Optional(Type.Integer({ minimum: 200, maximum: 299, default: 200, description: 'The answer\'s status (204 and 205 are sent without a body).' })),
  },
  {
    $id: 'WebhookHandshake',
    description: 'A request the provider sends to check the URL (Slack\'s `url_verification`), answered at once after its signature is checked, and not stored as a delivery.',
  },
);

export const WebhookAcknowledge = Strict(
  {
    status: Type.Optional(Type.Integer({ minimum: 200, maximum: 299, description: 'The status for a stored delivery, new or duplicate (204 and 205 are sent without a body). Default: 202 for a new one, 200 for a duplicate.' })),
    body: Type.Optional(Type.Union([Type.Literal('delivery'), Type.Literal('empty')], {
      default: 'delivery',
      description: '`delivery`: `{"id": ..., "duplicate": ...}` as JSON; `empty`: no body.',
    })),
  },
  {
    $id: 'WebhookAcknowledge',
    description: 'How a stored delivery is answered, for providers that read the answer: Slack takes a JSON body to a slash command as a message, and expects an empty 200.',
  },
);

export const Webhooks = Strict(
  {
    signature: Signature,
    delivery_id: Template('The dedupe key of a delivery, over `headers` and `body`, e.g. "{{ headers.`x-github-delivery` }}". A key joined from parts (with `&`, or text around `{{ }}`) counts as missing, answered 400, when a part it reads is absent or empty.'),
    event: Template('The event type, over `headers` and `body`, e.g. "{{ headers.`x-github-event` }}".'),
    events: Type.Record(Type.String(), Type.Union([WebhookEvent, Type.Array(WebhookEvent)]), { description: 'Event type → records of a stream.' }),
    max_body_bytes: Type.Integer({ minimum: 1, default: 26214400, description: 'Largest body accepted (default 25 MiB, GitHub’s maximum).' }),
    acknowledge: Type.Optional(WebhookAcknowledge),
    handshakes: Type.Optional(Type.Array(WebhookHandshake, { minItems: 1, description: 'Requests answered at once instead of stored, tried in order: the first whose `when` is true answers.' })),
  },
  { $id: 'Webhooks', description: 'Incoming webhooks: signature rule, dedupe key, event routing.' },
);

export type SignatureNode = Static<typeof Signature>;
export type SignatureType = SignatureNode['type'];
export type WebhooksNode = Static<typeof Webhooks>;
export type WebhookEventNode = Static<typeof WebhookEvent>;
export type WebhookHandshakeNode = Static<typeof WebhookHandshake>;
export type WebhookAcknowledgeNode = Static<typeof WebhookAcknowledge>;
