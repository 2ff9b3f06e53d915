import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretBox } from '../../runtime/crypto/index.js';
import { isConnectorError } from '../../runtime/errors/index.js';
import { createRecordPipeline } from '../../runtime/records/index.js';
import { createSqliteStore } from '../../runtime/store/index.js';
import { answerHandshake, isRouted, mapDelivery, parseBody, parseDelivery, renderSecrets, verifySignature } from '../../runtime/webhooks/index.js';
import { DIGEST_PLACEHOLDER } from '../cassettes/format.js';
import { secretConfigKey, signDelivery, testSecretFor } from '../webhook-harness.js';
import { recordValidator } from './record-validator.js';
import { keyText } from './keys.js';
import { resultFor, type CheckResult, type SuiteContext } from './types.js';

/**
 * webhooks.*: per sample delivery, signed by the suite with a test secret: a valid signature is
 * accepted; a tampered body and a wrong secret are rejected; a replayed delivery is deduplicated by
 * the durable inbox; the event maps to records that conform to the target stream's schema.
 */
export async function webhookChecks(ctx: SuiteContext): Promise<CheckResult[]> {
  const r = resultFor(ctx.manifest);
  const webhooks = ctx.manifest.node.webhooks;
  if (!webhooks) return [r.skip('webhooks', 'the manifest declares no webhooks')];
  const samples = ctx.source.webhookSamples;
  if (samples.length === 0) return [r.skip('webhooks', `no webhook samples (${ctx.source.kind === 'cassettes' ? 'add cassettes/<connector>/webhooks/<event>.json' : 'no event the simulator can build'})`, 'webhooks.events')];
  const rule = webhooks.signature;
  const key = secretConfigKey(rule);
  const secret = testSecretFor(rule);
  const config = key ? { ...ctx.config, [key]: secret } : ctx.config;
  const secrets = await renderSecrets(rule, { config });
  const wrong = testSecretFor(rule, 'wrong');
  const dir = mkdtempSync(join(tmpdir(), 'gwi-conformance-'));
  const store = createSqliteStore({ file: join(dir, 'inbox.db'), secretBox: createSecretBox(dir, { GWI_SECRET_KEY: '0'.repeat(64) }), synchronous: 'NORMAL' });
  const results: CheckResult[] = [];
  try {
    for (const [index, sample] of samples.entries()) {
      const id = `${sample.event}#${index + 1}`;
      const now = ctx.clock.now();
      const signed = await signDelivery(rule, sample.body, secret, { headers: sample.headers, now });
      const contentType = signed.headers['content-type'];
      if (rule.type === 'none') {
        for (const n of ['valid_signature', 'tampered_body', 'wrong_secret']) results.push(r.skip(`webhooks.${n}[${id}]`, 'signature type none', 'webhooks.signature'));
      } else if (!key && secrets.length === 0) {
        for (const n of ['valid_signature', 'tampered_body', 'wrong_secret']) results.push(r.skip(`webhooks.${n}[${id}]`, 'the secret template reads no config key the suite can set', 'webhooks.signature.secret'));
      } else {
        const valid = await verifySignature(rule, signed.body, signed.headers, secrets, now);
        if (valid.ok) results.push(r.pass(`webhooks.valid_signature[${id}]`));
        else results.push(r.fail(`webhooks.valid_signature[${id}]`, `a correctly signed delivery was refused (${valid.reason}): ${valid.message}${prefixHint(rule, sample.headers)}`, prefixHint(rule, sample.headers) ? 'webhooks.signature.prefix' : 'webhooks.signature'));

        const tampered = Buffer.from(signed.body.toString('utf8').replace(/.$/s, (c) => ` ${c}`));
        const t = await verifySignature(rule, tampered, signed.headers, secrets, now);
        results.push(t.ok ? r.fail(`webhooks.tampered_body[${id}]`, 'a delivery whose body was changed after signing was accepted', 'webhooks.signature') : r.pass(`webhooks.tampered_body[${id}]`));

        const forged = await signDelivery(rule, sample.body, wrong, { headers: sample.headers, now });
        const w = await verifySignature(rule, forged.body, forged.headers, secrets, now);
        results.push(w.ok ? r.fail(`webhooks.wrong_secret[${id}]`, 'a delivery signed with another secret was accepted', 'webhooks.signature') : r.pass(`webhooks.wrong_secret[${id}]`));
      }

      // A sample of a provider's URL check (Slack's url_verification) is answered, not stored: as serve does.
      if (webhooks.handshakes) {
        let answer;
        try {
          const payload = parsedOrUndefined(signed.body, contentType);
          answer = payload && (await answerHandshake(webhooks.handshakes, payload.value, signed.headers));
        } catch (error) {
          results.push(r.fail(`webhooks.handshake[${id}]`, (error as Error).message, isConnectorError(error) && error.location?.path ? error.location.path : 'webhooks.handshakes'));
          continue;
        }
        if (answer) {
          results.push(r.pass(`webhooks.handshake[${id}]`));
          continue;
        }
      }

      let parsed;
      try {
        parsed = await parseDelivery(webhooks, signed.body, signed.headers, contentType);
      } catch (error) {
        results.push(r.fail(`webhooks.dedupe[${id}]`, `the delivery id or event cannot be read: ${(error as Error).message}`, 'webhooks.delivery_id'));
        results.push(r.skip(`webhooks.maps[${id}]`, 'the delivery cannot be parsed', `webhooks.events`));
        continue;
      }
      const delivery = { connector: ctx.manifest.node.name, connection: 'conformance', deliveryId: parsed.deliveryId, event: parsed.event, headers: signed.headers, body: signed.body, contentType, receivedAt: now.getTime() };
      const firstInsert = await store.insertDelivery(delivery);
      const again = await parseDelivery(webhooks, signed.body, signed.headers, contentType);
      const replay = await store.insertDelivery({ ...delivery, deliveryId: again.deliveryId, receivedAt: now.getTime() + 1000 });
      results.push(
        firstInsert.duplicate
          ? r.fail(`webhooks.dedupe[${id}]`, `delivery id ${parsed.deliveryId} collides with another sample's`, 'webhooks.delivery_id')
          : replay.duplicate
            ? r.pass(`webhooks.dedupe[${id}]`)
            : r.fail(`webhooks.dedupe[${id}]`, 'a replayed delivery was stored twice (its delivery id changed)', 'webhooks.delivery_id'),
      );

      results.push(await mapsCheck(ctx, parsed.event, parsed.payload, signed.headers, config, id));
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function mapsCheck(ctx: SuiteContext, event: string, payload: unknown, headers: Record<string, string>, config: Readonly<Record<string, unknown>>, id: string): Promise<CheckResult> {
  const r = resultFor(ctx.manifest);
  const manifest = ctx.manifest.node;
  if (!isRouted(manifest, event)) return r.skip(`webhooks.maps[${id}]`, `event "${event}" is not mapped by webhooks.events`, 'webhooks.events');
  let mapped;
  try {
    mapped = await mapDelivery(manifest, event, payload, { pipelineFor: (s) => createRecordPipeline(manifest.streams[s]!, s), config, headers });
  } catch (error) {
    return r.fail(`webhooks.maps[${id}]`, `mapping the event failed: ${(error as Error).message}`, `webhooks.events.${event}`);
  }
  if (mapped.length === 0) return r.fail(`webhooks.maps[${id}]`, 'the event mapped to no records', `webhooks.events.${event}`);
  for (const { stream, records } of mapped) {
    const node = manifest.streams[stream]!;
    const problem = recordValidator(node.schema)(records);
    if (problem) return r.fail(`webhooks.maps[${id}]`, `${stream}: ${problem}`, `webhooks.events.${event}`);
    const keyless = records.findIndex((rec) => keyText(node, rec) === undefined);
    if (keyless >= 0) return r.fail(`webhooks.maps[${id}]`, `${stream}: record ${keyless + 1} has no primary key`, `streams.${stream}.primary_key`);
  }
  return r.pass(`webhooks.maps[${id}]`);
}

/** The parsed body, or undefined when it cannot be parsed (no handshake then; the dedupe check reports it). */
function parsedOrUndefined(body: Buffer, contentType: string | undefined): { value: unknown } | undefined {
  try {
    return { value: parseBody(body, contentType) };
  } catch {
    return undefined;
  }
}

/** " (the provider sends "sha256=", the manifest expects "sha-256=")" when the sample shows a different prefix. */
function prefixHint(rule: NonNullable<SuiteContext['manifest']['node']['webhooks']>['signature'], headers: Record<string, string>): string {
  if (rule.type !== 'hmac') return '';
  const sample = Object.entries(headers).find(([k]) => k.toLowerCase() === rule.header.toLowerCase())?.[1];
  const match = sample ? DIGEST_PLACEHOLDER.exec(sample) : null;
  if (!sample || !match) return '';
  const sent = sample.slice(0, match.index);
  return sent === (rule.prefix ?? '') ? '' : ` (the provider sends the prefix "${sent}", the manifest expects "${rule.prefix ?? ''}")`;
}
