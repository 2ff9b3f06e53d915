import type { Bus, DeliveryMessage } from '../bus/bus.js';
import { errorLogFields, isConnectorError } from '../errors/index.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../sync/types.js';
import { answerHandshake, deliveryKeysFromHeaders, invalidJson, keptHeaders, normaliseHeaders, parseBody, parseDelivery, verifySignature, type RawHeaders, type VerifyFailureReason } from '../webhooks/index.js';
import type { WebhookAcknowledgeNode, WebhooksNode } from '../webhooks/schema.js';
import type { IngestOutcome, ServiceMetrics } from './metrics.js';
import type { RefusalLog } from './refusal-log.js';

/** The answer to a webhook request, framework-free: the route copies it to the reply. */
export interface IngestReply {
  status: number;
  /** Sent as JSON: the delivery's id, a refusal, or the answer to a handshake (whatever its `respond` gives); undefined: no body. */
  body: unknown;
  outcome: IngestOutcome;
  /** Seconds after which a retry may succeed (`Retry-After`), for a refusal that is only for now. */
  retryAfterSeconds?: number;
}

export interface IngestTarget {
  connector: string;
  connection: string;
  webhooks: WebhooksNode;
  secrets(): Promise<string[]>;
}

export interface IngestDeps {
  store: Store;
  bus: Bus;
  metrics?: ServiceMetrics;
  logger?: Logger;
  /** Where refused webhooks are logged (throttled: refusal-log.ts). */
  logRefusal?: RefusalLog;
  now: () => number;
  /** Called after a new delivery is durable. */
  onAccepted(): void;
  /** A receiver without a dispatcher: called once the bus confirmed a delivery, to mark it done here. */
  handedOff?(seq: number, connection: string): void;
}

const VERIFY_STATUS: Record<VerifyFailureReason, [number, string, IngestOutcome]> = {
  mismatch: [401, 'WEBHOOK_SIGNATURE_MISMATCH', 'unauthorized'],
  stale_timestamp: [401, 'WEBHOOK_TIMESTAMP', 'unauthorized'],
  missing_header: [400, 'WEBHOOK_SIGNATURE_MISSING', 'bad_request'],
  malformed: [400, 'WEBHOOK_BODY', 'bad_request'],
  // Our configuration, not the sender's fault: 500 so the provider retries once it is fixed.
  misconfigured: [500, 'WEBHOOK_MISCONFIGURED', 'misconfigured'],
};

/** GitHub's largest webhook payload: the limit of a connector whose manifest sets no `webhooks.max_body_bytes`. */
export const DEFAULT_MAX_BODY_BYTES = 26_214_400;

export const failure = (status: number, code: string, message: string, outcome: IngestOutcome): IngestReply => ({ status, body: { error: { code, message } }, outcome });

/**
 * A stored delivery onto the bus: published, marked published, and (a receiver without dispatch)
 * handed off, i.e. done here. Ingest's path and the republisher's, so both end a delivery alike.
 */
export async function publishStored(deps: Pick<IngestDeps, 'bus' | 'store' | 'now' | 'handedOff'>, seq: number, message: DeliveryMessage): Promise<void> {
  await deps.bus.publishDelivery(message);
  await deps.store.markPublished(seq, deps.now());
  deps.handedOff?.(seq, message.connection);
}

/**
 * Verify the exact bytes, answer a handshake, parse, store durably (idempotent on
 * connector+connection+delivery id), publish when a bus is configured, and only then answer
 * (`acknowledged`: 202, or 200 for a duplicate, unless the manifest's `acknowledge` says otherwise).
 */
export async function ingestDelivery(deps: IngestDeps, target: IngestTarget, rawBody: Buffer, rawHeaders: RawHeaders, contentType: string | undefined): Promise<IngestReply> {
  const { webhooks } = target;
  // Once: the verifier and the parser recognise normalised headers and do not copy them again.
  const headers = normaliseHeaders(rawHeaders);
  const maxBodyBytes = webhooks.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES;
  if (rawBody.length > maxBodyBytes) return failure(413, 'WEBHOOK_BODY', `body is larger than ${maxBodyBytes} bytes`, 'too_large');
  let secrets: string[];
  try {
    secrets = await target.secrets();
  } catch {
    return failure(500, 'WEBHOOK_MISCONFIGURED', 'the webhook secret template of this connector could not be rendered', 'misconfigured');
  }
  const verdict = await verifySignature(webhooks.signature, rawBody, headers, secrets, new Date(deps.now()));
  if (!verdict.ok) {
    const [status, code, outcome] = VERIFY_STATUS[verdict.reason];
    deps.logRefusal?.(target.connection, verdict.reason, verdict.message);
    return failure(status, code, verdict.message, outcome);
  }
  // Handshakes read the body: parsed here, once, for them and then for the keys. A body that cannot
  // be parsed is no handshake, and is refused below as without them.
  let parsed: { payload: unknown } | undefined;
  if (webhooks.handshakes) {
    try {
      parsed = { payload: parseBody(rawBody, contentType) };
    } catch {
      // Not parsed: no handshake.
    }
    try {
      const answer = parsed && (await answerHandshake(webhooks.handshakes, parsed.payload, headers));
      if (answer) return { status: answer.status, body: answer.body, outcome: 'handshake' };
    } catch (error) {
      deps.logger?.error({ connection: target.connection, ...errorLogFields(error) }, 'answering a webhook handshake failed');
      return failure(500, 'WEBHOOK_MISCONFIGURED', 'the connector\'s webhook handshake could not be answered; its operator is told why', 'misconfigured');
    }
  }
  // Keys from headers alone (GitHub's, for one): the store checks the body is JSON on its writer
  // thread. Otherwise the body is parsed here, for the keys. Only the keys are kept past this point:
  // a parsed payload held across the store's round trip would survive into the old generation.
  let deliveryId: string;
  let event: string;
  let json = false;
  try {
    const fromHeaders = deliveryKeysFromHeaders(webhooks, headers, contentType);
    json = fromHeaders !== undefined && parsed === undefined;
    ({ deliveryId, event } = fromHeaders ?? (await parseDelivery(webhooks, rawBody, headers, contentType, parsed)));
  } catch (error) {
    return failure(400, 'WEBHOOK_BODY', isConnectorError(error) ? error.message : 'malformed body', 'bad_request');
  }
  const kept = keptHeaders(headers, webhooks.signature);
  let result;
  try {
    result = await deps.store.insertDelivery({
      connector: target.connector, connection: target.connection, deliveryId, event, headers: kept, body: rawBody, contentType, receivedAt: deps.now(), json,
    });
  } catch (error) {
    deps.logger?.error({ connection: target.connection, ...errorLogFields(error) }, 'webhook inbox write failed');
    return failure(503, 'STORE_UNAVAILABLE', 'the delivery could not be stored; retry later', 'unavailable');
  }
  if (result.invalidJson !== undefined) return failure(400, 'WEBHOOK_BODY', invalidJson('the body', result.invalidJson).message, 'bad_request');
  // With a bus, "durable" means confirmed by the bus. A delivery stored earlier whose publish failed
  // (we answered 503) is published now if the provider retries it. GitHub and GitLab never do: a
  // receiver without dispatch republishes it (republisher.ts), one with dispatch maps it here anyway.
  if (deps.bus.kind !== 'local' && !result.published) {
    try {
      await publishStored(deps, result.seq, { connector: target.connector, connection: target.connection, deliveryId, event, headers: kept, body: rawBody });
    } catch (error) {
      // Stored locally (the local dispatcher still maps it) but not confirmed on the bus: no 2xx.
      deps.logger?.error({ connection: target.connection, ...errorLogFields(error) }, 'publishing the delivery failed');
      return failure(503, 'BUS_PUBLISH', 'the delivery could not be published; retry later', 'unavailable');
    }
  }
  if (!result.duplicate) deps.onAccepted();
  return acknowledged(webhooks.acknowledge, result.id, result.duplicate);
}

/** The answer to a stored delivery: 202 (a duplicate 200) with its id, unless the manifest's `acknowledge` says otherwise. */
function acknowledged(acknowledge: WebhookAcknowledgeNode | undefined, id: string, duplicate: boolean): IngestReply {
  return {
    status: acknowledge?.status ?? (duplicate ? 200 : 202),
    body: acknowledge?.body === 'empty' ? undefined : { id, duplicate },
    outcome: duplicate ? 'duplicate' : 'accepted',
  };
}
