/**
 * One example per top-level section of the manifest, shown in docs/manifest-reference.md. Put
 * together they form a valid manifest: a test loads them, so the examples cannot rot.
 */
export const SECTION_EXAMPLES: ReadonlyArray<{ key: string; yaml: string }> = [
  {
    key: 'name',
    yaml: `# yaml-language-server: $schema=../schemas/manifest.schema.json
name: example
version: 1.0.0
description: Issues and comments from the Example tracker.
documentation_url: https://example.test/docs/api`,
  },
  {
    key: 'spec',
    yaml: `spec:
  type: object
  required: [token, projects]
  properties:
    token: { type: string, secret: true, description: "API token with read scope" }
    projects: { type: array, items: { type: string }, minItems: 1 }
    base_url: { type: string, default: "https://api.example.test" }
    start_date: { type: string, format: date-time }
    webhook_secret: { type: string, secret: true }`,
  },
  {
    key: 'definitions',
    yaml: `definitions:
  paged: { type: page_number, page_param: { into: param, name: page }, size: 100, size_param: { into: param, name: per_page } }`,
  },
  {
    key: 'auth',
    yaml: `auth: { type: api_key, inject_into: header, name: Authorization, value: "Token {{ config.token }}" }`,
  },
  {
    key: 'requester',
    yaml: `requester:
  url_base: "{{ config.base_url }}"
  headers: { Accept: application/json }
  timeout_ms: 20000
  retry: { attempts: 5, base_ms: 500, max_ms: 60000 }
  rate_limit: { requests: 600, per: minute, remaining_header: x-ratelimit-remaining, reset_header: x-ratelimit-reset }
  on_response:
    - { when: "status = 404", action: ignore }
    - { when: "status = 403 and headers.\`x-ratelimit-remaining\` = '0'", action: rate_limited, wait_until: "headers.\`x-ratelimit-reset\`" }`,
  },
  {
    key: 'check',
    yaml: `check: { path: /me, message: "The token needs the read scope." }`,
  },
  {
    key: 'streams',
    yaml: `streams:
  issues:
    primary_key: id
    cursor_field: updated_at
    schema: { type: object, properties: { id: { type: integer }, title: { type: string }, updated_at: { type: string } } }
    partitions: { list: "{{ config.projects }}", as: project }
    request:
      path: "/projects/{{ partition.project }}/issues"
      params: { sort: updated, order: desc }
    pagination: { $ref: "#/definitions/paged" }
    records: "data"
    map: '{ "id": id, "title": title, "project": $partition.project, "updated_at": updated_at }'
    incremental:
      order: descending
      start: "{{ config.start_date }}"
      lower_bound: { into: param, name: updated_since }
  comments:
    primary_key: id
    schema: { type: object }
    partitions: { parent: issues, as: issue, value: "{ 'project': project, 'id': id }" }
    request: { path: "/projects/{{ partition.issue.project }}/issues/{{ partition.issue.id }}/comments" }
    pagination: { type: link_header }`,
  },
  {
    key: 'concurrency',
    yaml: 'concurrency: 4',
  },
  {
    key: 'webhooks',
    yaml: `webhooks:
  signature: { type: hmac, algorithm: sha256, header: X-Example-Signature, prefix: "sha256=", secret: "{{ config.webhook_secret }}" }
  delivery_id: "{{ headers.\`x-example-delivery\` }}"
  event: "{{ headers.\`x-example-event\` }}"
  events:
    issue: { stream: issues, record: issue, when: "action != 'deleted'" }`,
  },
  {
    key: 'health_check',
    yaml: 'health_check: { path: /status, expected_status: 200, timeout_seconds: 5 }',
  },
];

/** All examples as one manifest. */
export function exampleManifest(): string {
  return `${SECTION_EXAMPLES.map((example) => example.yaml).join('\n')}\n`;
}
