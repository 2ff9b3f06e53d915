import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest, type LoadedManifest } from '../../runtime/manifest/index.js';

/** A small GitHub-shaped connector: HMAC sha256 over the body, hook id + delivery GUID as dedupe key. */
export const HOOKS_MANIFEST = `
name: hooks
version: 1.0.0
spec:
  type: object
  required: [webhook_secret]
  properties:
    token: { type: string, secret: true }
    webhook_secret: { type: string, secret: true }
    old_webhook_secret: { type: string, secret: true }
    repositories: { type: array, items: { type: string }, default: [] }
requester:
  url_base: "http://127.0.0.1:9"
streams:
  issues:
    primary_key: id
    schema: { type: object }
    request: { path: /issues }
    map: '{ "id": id, "title": title, "repo": $partition.repo }'
webhooks:
  signature:
    type: hmac
    algorithm: sha256
    header: X-Hub-Signature-256
    prefix: "sha256="
    encoding: hex
    secret: ["{{ config.webhook_secret }}", "{{ config.old_webhook_secret }}"]
  delivery_id: "{{ headers.\`x-github-hook-id\` & ':' & headers.\`x-github-delivery\` }}"
  event: "{{ headers.\`x-github-event\` }}"
  max_body_bytes: 1048576
  events:
    issues:
      stream: issues
      record: issue
      partition: "{ 'repo': repository.full_name }"
      when: "$not(action = 'ignored')"
`;

export const SECRET = 'It\u2019s a test secret';

export function hooksManifest(): LoadedManifest {
  return parseManifest(HOOKS_MANIFEST, 'hooks.yaml');
}

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gwi-service-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const TEST_ENV = { GWI_SECRET_KEY: 'b'.repeat(64) };

let counter = 0;
/** A signed delivery of an `issues` event, as GitHub sends it. */
export function signedDelivery(options: { id?: string; issueId?: number; title?: string; action?: string; secret?: string; body?: Buffer } = {}) {
  const id = options.id ?? `guid-${process.pid}-${++counter}`;
  const body =
    options.body ??
    Buffer.from(JSON.stringify({ action: options.action ?? 'opened', issue: { id: options.issueId ?? counter, title: options.title ?? `Issue ${counter}` }, repository: { full_name: 'acme/api' } }));
  const signature = 'sha256=' + createHmac('sha256', options.secret ?? SECRET).update(body).digest('hex');
  return {
    id: `77:${id}`,
    body,
    headers: { 'content-type': 'application/json', 'x-github-hook-id': '77', 'x-github-delivery': id, 'x-github-event': 'issues', 'x-hub-signature-256': signature },
  };
}

import { buildApp } from '../../runtime/server/index.js';
import { createService, type Service, type ServiceOptions } from '../../runtime/service/index.js';

export const ADMIN = 'test-admin-token';
export const auth = { authorization: `Bearer ${ADMIN}` };

/** A service on a temp data dir with the hooks manifest and one connection `acme`. */
export async function startService(dir: string, options: Partial<ServiceOptions> = {}) {
  const service = await createService({ dataDir: dir, manifests: [hooksManifest()], env: TEST_ENV, ...options });
  if (!service.getConnection('acme')) {
    service.putConnection({ id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET, old_webhook_secret: 'previous-secret', token: 'tok_abcdef' } }, 'api');
  }
  return withApp(service);
}

/** The service with its HTTP app (admin token ADMIN), and one close for both. */
export async function withApp(service: Service) {
  const app = await buildApp({ service, adminToken: ADMIN });
  return { service, app, async close() { await app.close(); await service.close(); } };
}
