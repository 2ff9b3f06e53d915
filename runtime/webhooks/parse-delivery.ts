import { ConnectorError } from '../errors/index.js';
import { normaliseHeaders } from './headers.js';
import { compileKeyTemplate, renderHeadersKey } from './key-template.js';
import type { WebhooksNode } from './schema.js';
import type { RawHeaders } from './types.js';

export interface ParsedDelivery {
  /** The dedupe key (`webhooks.delivery_id`), unique per connection. */
  deliveryId: string;
  event: string;
  payload: unknown;
}

/**
 * Parse a verified body (JSON, or form-encoded as GitHub's `payload=<json>` and Slack's slash commands
 * send it) and render the manifest's `delivery_id` and `event` over `{ headers, body }`.
 * Throws `WEBHOOK_BODY` when the body cannot be parsed or yields no delivery id or event.
 */
export async function parseDelivery(
  webhooks: Pick<WebhooksNode, 'delivery_id' | 'event'>, rawBody: Buffer, headers: RawHeaders, contentType: string | undefined,
  /** The body, when the caller has parsed it already (parseBody). */
  parsed?: { payload: unknown },
): Promise<ParsedDelivery> {
  const payload = parsed ? parsed.payload : parseBody(rawBody, contentType);
  const scope = { headers: normaliseHeaders(headers), body: payload };
  const deliveryId = await renderKey(webhooks.delivery_id, scope, 'delivery_id');
  const event = await renderKey(webhooks.event, scope, 'event');
  return { deliveryId, event, payload };
}

/**
 * The dedupe key and event from the headers alone, when the manifest's `delivery_id` and `event` read
 * nothing else and the body is meant to be JSON (not a form); otherwise undefined (use parseDelivery).
 * The body is not parsed here: the caller has it checked as JSON before storing it (the store does so
 * on its writer thread, see `NewDelivery.json`) and reports a failure with `invalidJson`. Synchronous:
 * it runs on every webhook request.
 */
export function deliveryKeysFromHeaders(webhooks: Pick<WebhooksNode, 'delivery_id' | 'event'>, headers: RawHeaders, contentType: string | undefined): Omit<ParsedDelivery, 'payload'> | undefined {
  if (mediaType(contentType) === FORM) return undefined;
  const normalised = normaliseHeaders(headers);
  const deliveryId = renderHeadersKey(webhooks.delivery_id, normalised);
  const event = deliveryId === undefined ? undefined : renderHeadersKey(webhooks.event, normalised);
  if (event === undefined) return undefined;
  return { deliveryId: checkKey(deliveryId!.value, webhooks.delivery_id, 'delivery_id'), event: checkKey(event.value, webhooks.event, 'event') };
}

/** The WEBHOOK_BODY error for a body (or form field, `what`) that JSON.parse refused with `reason`. */
export function invalidJson(what: string, reason: string, cause?: unknown): ConnectorError {
  return new ConnectorError('WEBHOOK_BODY', `${what} is not valid JSON: ${reason}`, {
    hint: 'Send a JSON body (Content-Type: application/json) or a form with a `payload` field.',
    ...(cause === undefined ? {} : { cause }),
  });
}

const FORM = 'application/x-www-form-urlencoded';
const mediaType = (contentType: string | undefined) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

export function parseBody(rawBody: Buffer, contentType: string | undefined): unknown {
  const text = rawBody.toString('utf8');
  if (mediaType(contentType) === FORM) {
    const form = new URLSearchParams(text);
    const embedded = form.get('payload');
    if (embedded !== null) return parseJson(embedded, 'the form field `payload`');
    return Object.fromEntries(form.entries());
  }
  return parseJson(text, 'the body');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw invalidJson(what, cause instanceof Error ? cause.message : String(cause), cause);
  }
}

async function renderKey(source: string, scope: Record<string, unknown>, key: 'delivery_id' | 'event'): Promise<string> {
  let value: unknown;
  try {
    value = await compileKeyTemplate(source)(scope);
  } catch (cause) {
    throw new ConnectorError('WEBHOOK_BODY', `webhooks.${key} could not be computed for this delivery`, { cause, context: { key } });
  }
  return checkKey(value, source, key);
}

/** A rendered key as text; WEBHOOK_BODY when it is missing. */
function checkKey(value: unknown, source: string, key: 'delivery_id' | 'event'): string {
  // A joined key with a missing part renders as undefined (see compileKeyTemplate), so empty means missing.
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
  if (text === '') {
    throw new ConnectorError('WEBHOOK_BODY', `the delivery has no ${key === 'delivery_id' ? 'delivery id' : 'event type'} (webhooks.${key}: ${source})`, {
      hint: 'The provider did not send the header or body field the manifest reads; check the request headers.',
      context: { key, missing: true },
    });
  }
  return text;
}
