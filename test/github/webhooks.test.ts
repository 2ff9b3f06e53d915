import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type LoadedManifest } from '../../runtime/manifest/index.js';
import { createRecordPipeline, type RecordPipeline } from '../../runtime/records/index.js';
import { mapDelivery, parseDelivery, renderSecrets, verifySignature } from '../../runtime/webhooks/index.js';
import { streamValidators, type StreamValidators } from './stream-schemas.js';

/**
 * Every example payload GitHub's community collected (@octokit/webhooks-examples) for the events the
 * manifest maps: signed as GitHub signs it (by @octokit/webhooks-methods, not by our code), verified
 * with the manifest's rule, parsed, mapped through the stream's own pipeline, and checked against the
 * stream's JSON schema: a webhook record is indistinguishable from a polled one.
 */

interface ExampleSet {
  name: string;
  examples: unknown[];
}
const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as ExampleSet[];

const SECRET = "It's a Secret to Everybody";
const config = { token: 'x', repositories: ['octo-org/hello-world'], webhook_secret: SECRET };

let manifest: LoadedManifest;
let validators: StreamValidators;
const pipelines = new Map<string, RecordPipeline>();
const pipelineFor = (name: string): RecordPipeline => {
  let pipeline = pipelines.get(name);
  if (!pipeline) {
    const stream = manifest.node.streams[name];
    if (!stream) throw new Error(`webhooks route to unknown stream ${name}`);
    pipeline = createRecordPipeline(stream, name);
    pipelines.set(name, pipeline);
  }
  return pipeline;
};

beforeAll(async () => {
  manifest = await loadManifest('manifests/github.yaml');
  validators = streamValidators(manifest);
});

async function deliver(event: string, payload: unknown, hookId = '42') {
  const body = JSON.stringify(payload);
  const headers = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': randomUUID(),
    'x-github-hook-id': hookId,
    'x-hub-signature-256': await sign(SECRET, body),
  };
  return { body: Buffer.from(body), headers };
}

describe('manifests/github.yaml webhooks: every @octokit/webhooks-examples payload of a mapped event', () => {
  const mapped = ['pull_request', 'pull_request_review', 'pull_request_review_comment', 'issues', 'issue_comment', 'push', 'status', 'check_run', 'workflow_run'];

  it('maps the events the issue asks for (and the manifest routes no others by accident)', () => {
    expect(Object.keys(manifest.node.webhooks?.events ?? {}).sort()).toEqual([...mapped].sort());
  });

  for (const event of mapped) {
    it(`${event}: signed, verified, parsed, mapped, records conform to the stream schema`, async () => {
      const set = examples.find((e) => e.name === event);
      expect(set, `examples for ${event}`).toBeDefined();
      const rule = manifest.node.webhooks!.signature;
      const secrets = await renderSecrets(rule, { config });
      expect(secrets).toEqual([SECRET]);
      let records = 0;
      for (const payload of set!.examples) {
        const { body, headers } = await deliver(event, payload);
        expect(await verifySignature(rule, body, headers, secrets)).toEqual({ ok: true });

        const delivery = await parseDelivery(manifest.node.webhooks!, body, headers, headers['content-type']);
        expect(delivery.event).toBe(event);
        expect(delivery.deliveryId).toBe(`42:${headers['x-github-delivery']}`);

        const out = await mapDelivery(manifest.node, delivery.event, delivery.payload, { pipelineFor, config, headers });
        for (const { stream, records: mappedRecords } of out) {
          for (const record of mappedRecords) {
            const problems = validators.problems(stream, record);
            expect(problems, `${event} → ${stream}: ${JSON.stringify(record).slice(0, 300)}`).toEqual([]);
            expect(pipelineFor(stream).keyOf(record)).toBeTruthy();
            records++;
          }
        }
      }
      // push examples include pushes without commits (tags, deletions): they yield nothing, the rest must.
      expect(records, `${event} produced records`).toBeGreaterThan(0);
    });
  }

  it('a tampered body, a wrong secret and a missing signature are refused', async () => {
    const rule = manifest.node.webhooks!.signature;
    const payload = examples.find((e) => e.name === 'issues')!.examples[0];
    const { body, headers } = await deliver('issues', payload);
    const tampered = Buffer.from(body.toString('utf8').replace('"action":"', '"action":"x'));
    expect(await verifySignature(rule, tampered, headers, [SECRET])).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(await verifySignature(rule, body, headers, ['another secret'])).toMatchObject({ ok: false, reason: 'mismatch' });
    const { 'x-hub-signature-256': _dropped, ...unsigned } = headers;
    expect(await verifySignature(rule, body, unsigned, [SECRET])).toMatchObject({ ok: false, reason: 'missing_header' });
  });

  it('the same GUID delivered to two hooks gets two delivery ids; a redelivery to one hook keeps its id', async () => {
    const payload = examples.find((e) => e.name === 'issues')!.examples[0];
    const first = await deliver('issues', payload, '1');
    const other = { ...first.headers, 'x-github-hook-id': '2' };
    const a = await parseDelivery(manifest.node.webhooks!, first.body, first.headers, 'application/json');
    const b = await parseDelivery(manifest.node.webhooks!, first.body, other, 'application/json');
    const again = await parseDelivery(manifest.node.webhooks!, first.body, { ...first.headers }, 'application/json');
    expect(a.deliveryId).not.toBe(b.deliveryId);
    expect(again.deliveryId).toBe(a.deliveryId);
  });

  it('an issues event about a pull request yields no issue record (same filter as polling)', async () => {
    const payload = structuredClone(examples.find((e) => e.name === 'issues')!.examples[0]) as { issue: Record<string, unknown> };
    payload.issue.pull_request = { url: 'https://api.github.com/repos/o/r/pulls/1' };
    const out = await mapDelivery(manifest.node, 'issues', payload, { pipelineFor, config });
    expect(out).toEqual([]);
  });
});
