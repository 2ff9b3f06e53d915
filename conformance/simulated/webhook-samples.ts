import type { ManifestNode } from '../../runtime/manifest/schema.js';
import type { WebhookSample } from '../cassettes/format.js';
import { setPath, simplePathOf } from './ast.js';
import { invertMap, shapeOf } from './invert-map.js';
import { generateRecords } from './records.js';
import type { SimulatedApi } from './simulated-api.js';

const HEADER_REF = /headers\.(?:`([^`]+)`|([A-Za-z_][\w-]*))/g;

/**
 * One delivery per mapped event, built from the manifest alone: a record of the target stream
 * (inverted through its `map`) placed where `record` selects it, the event and delivery id put where
 * the manifest reads them, and a digest placeholder in the signature header. Events with a `when`
 * condition or a selector the simulator cannot invert get no sample.
 */
export function generateWebhookSamples(manifest: ManifestNode, api: Pick<SimulatedApi, 'streams'>, config: Record<string, unknown>): WebhookSample[] {
  const webhooks = manifest.webhooks;
  if (!webhooks) return [];
  const samples: WebhookSample[] = [];
  let n = 0;
  for (const [event, routes] of Object.entries(webhooks.events)) {
    const route = Array.isArray(routes) ? routes[0] : routes;
    if (!route || route.when || !api.streams.has(route.stream)) continue;
    const stream = manifest.streams[route.stream];
    const path = simplePathOf(route.record ?? '$');
    const invert = invertMap(stream?.map);
    if (!stream || !path || 'skip' in invert) continue;
    const record = generateRecords(route.stream, stream, `webhook:${event}`, 1, 'webhooks')[0]!;
    const raw = invert(record);
    let body: Record<string, unknown> = path.length === 0 ? raw : {};
    if (path.length > 0) setPath(body, path, raw);
    if (route.partition) {
      const invertPartition = invertMap(route.partition);
      if ('skip' in invertPartition) continue;
      const list = Object.values(config).find(Array.isArray) as unknown[] | undefined;
      const value = typeof list?.[0] === 'string' ? list[0] : 'example-1/item-1';
      body = deepMerge(invertPartition(shapeOf(route.partition, value) ?? {}), body);
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    n++;
    const refs = [...webhooks.delivery_id.matchAll(HEADER_REF)];
    for (const m of refs) headers[(m[1] ?? m[2])!.toLowerCase()] = `delivery-${n}-${(m[1] ?? m[2])!.length}`;
    if (!placeAt(webhooks.delivery_id, `delivery-${n}`, headers, body) && refs.length === 0) continue;
    if (!placeAt(webhooks.event, event, headers, body)) continue;
    if (webhooks.signature.type === 'hmac') {
      headers[webhooks.signature.header.toLowerCase()] = `${webhooks.signature.prefix ?? ''}<hmac-${webhooks.signature.algorithm ?? 'sha256'}-${webhooks.signature.encoding ?? 'hex'}>`;
    }
    samples.push({ event, headers, body });
  }
  return samples;
}

/** Put `value` where a one-expression template reads it (`{{ headers.x }}` or `{{ body.a.b }}`). */
function placeAt(template: string, value: string, headers: Record<string, string>, body: Record<string, unknown>): boolean {
  const inner = /^\{\{([\s\S]*)\}\}$/.exec(template.trim())?.[1];
  const path = inner ? simplePathOf(inner.trim()) : undefined;
  if (!path || path.length < 2) return false;
  const [root, ...rest] = path;
  if (root === 'headers' && rest.length === 1) headers[rest[0]!.toLowerCase()] = value;
  else if (root === 'body') setPath(body, rest, value);
  else return false;
  return true;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && v && typeof prev === 'object' && typeof v === 'object' && !Array.isArray(v) ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}
