import { describe, expect, it } from 'vitest';
import type { ConnectorError } from '../errors/index.js';
import { parseManifest } from '../manifest/load.js';
import { ManifestValidationError } from '../manifest/validation-error.js';

/** A connector with the given `webhooks:` lines (the spec declares webhook_secret and webhook_secret_previous). */
const manifest = (webhooks: string) => `name: hooks
version: 1.0.0
spec:
  type: object
  properties:
    webhook_secret: { type: string, secret: true }
    webhook_secret_previous: { type: string, secret: true }
requester:
  url_base: "http://127.0.0.1:9"
streams:
  items:
    primary_key: id
    schema: { type: object }
    request: { path: /items }
webhooks:
${webhooks}
  events:
    item: { stream: items, when: "$headers.\`x-action\` != 'deleted'" }
`;
const GOOD = {
  signature: '  signature: { type: hmac, header: X-Signature, prefix: "sha256=", secret: ["{{ config.webhook_secret }}", "{{ config.webhook_secret_previous }}"] }',
  delivery_id: '  delivery_id: "{{ headers.`x-delivery` }}"',
  event: '  event: "{{ headers.`x-event` }}"',
};
const webhooks = (changes: Partial<typeof GOOD> = {}) => manifest(Object.values({ ...GOOD, ...changes }).join('\n'));

function problems(text: string): string[] {
  try {
    parseManifest(text, 'm.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestValidationError);
    return (error as ManifestValidationError).problems.map((p: ConnectorError) => p.format());
  }
  return [];
}

describe('webhook mistakes found at load (providers11 F2, F9, F10)', () => {
  it('a well-formed webhooks block has none', () => {
    expect(problems(webhooks())).toEqual([]);
  });

  it('a delivery_id with no {{ }} (one key for every delivery: all but the first dropped as duplicates)', () => {
    expect(problems(webhooks({ delivery_id: '  delivery_id: "headers.`x-delivery`"' }))).toEqual([
      'm.yaml:17:16: webhooks.delivery_id "headers.`x-delivery`" has no {{ }}: it is the same key for every delivery, so every delivery after the first would be answered as a duplicate and dropped. Wrap what the key reads in {{ }}, e.g. "{{ headers.`x-github-delivery` }}". [MANIFEST_SCHEMA]',
    ]);
  });

  it('a header read in upper case, in a template, a signed_content or an expression over $headers', () => {
    expect(problems(webhooks({ delivery_id: '  delivery_id: "{{ headers.`X-Delivery` }}"' }))).toEqual([
      'm.yaml:17:16: webhooks.delivery_id reads the header `X-Delivery` in upper case, which no request has: header names are lower-cased when a request arrives. Write headers.`x-delivery`. [MANIFEST_SCHEMA]',
    ]);
    const slack = '  signature: { type: hmac, header: X-Slack-Signature, prefix: "v0=", signed_content: "v0:{{ headers.`X-Slack-Request-Timestamp` }}:{{ body }}", secret: "{{ config.webhook_secret }}" }';
    expect(problems(webhooks({ signature: slack }))).toEqual([expect.stringMatching(/^m\.yaml:16:\d+: webhooks\.signature\.signed_content reads the header `X-Slack-Request-Timestamp` in upper case.*\. Write headers\.`x-slack-request-timestamp`\. \[MANIFEST_SCHEMA\]$/)]);
    expect(problems(webhooks().replace("$headers.`x-action`", '$headers.`X-Action`'))).toEqual([expect.stringMatching(/^m\.yaml:20:34: webhooks\.events\.item\.when reads the header `X-Action` in upper case.*\. Write \$headers\.`x-action`\. \[MANIFEST_SCHEMA\]$/)]);
  });

  it('not flagged: a body field named headers in an expression over the payload, a spec whose keys come from patterns or branches (review11 #3)', () => {
    expect(problems(webhooks().replace("$headers.`x-action` != 'deleted'", "headers.Status != 'deleted'"))).toEqual([]);
    const patterned = webhooks({ signature: '  signature: { type: hmac, header: X-Signature, secret: "{{ config.signing_secret_2024 }}" }' })
      .replace('    webhook_secret_previous: { type: string, secret: true }', '    webhook_secret_previous: { type: string, secret: true }\n  patternProperties:\n    "^signing_secret_": { type: string, secret: true }');
    expect(problems(patterned)).toEqual([]);
  });

  it('a header name with "-" without backticks (a subtraction)', () => {
    expect(problems(webhooks({ event: '  event: "{{ headers.x-github-event }}"' }))).toEqual([
      'm.yaml:18:10: webhooks.event reads headers.x-github-event as a subtraction (headers.x minus github minus event), not the header `x-github-event`. Put a header name with "-" in backticks: headers.`x-github-event`. [MANIFEST_SCHEMA]',
    ]);
  });

  it('a secret read from a config key the spec does not declare, with a did-you-mean', () => {
    const typo = '  signature: { type: hmac, header: X-Signature, secret: ["{{ config.webhook_secret }}", "{{ config.webhok_secret_previous }}"] }';
    expect(problems(webhooks({ signature: typo }))).toEqual([
      expect.stringMatching(/^m\.yaml:16:89: webhooks\.signature\.secret reads config\.webhok_secret_previous, which the spec does not declare; did you mean "webhook_secret_previous"\? \(at webhooks\.signature\.secret\[1\]\)\. Declare it under spec\.properties with secret: true/),
    ]);
  });
});
