import { PubSub, type Message } from '@google-cloud/pubsub';
import { ConnectorError } from '../errors/index.js';
import type { BodyStore, DeliveryMessage } from './bus.js';
import { decodeDeliveryData } from './delivery-codec.js';
import { ensureSubscription, ensureTopic } from './pubsub-resources.js';
import { ATTR, webhooksTopicName } from './topic-names.js';

/** A delivery pulled by a worker. */
export interface ReceivedDelivery extends DeliveryMessage {
  /** 1 on first delivery; counts redeliveries after failed handler attempts. */
  attempt: number;
  messageId: string;
}

export interface SubscribeDeliveriesOptions {
  projectId: string;
  connector: string;
  /** Subscription name on `connector-webhooks-<connector>`, created if missing. */
  subscription: string;
  /** Topic that receives deliveries after `maxDeliveryAttempts` failures, created if missing together with a
   *  subscription `<deadLetterTopic>-hold` so dead letters are kept, not dropped. */
  deadLetterTopic: string;
  /** 5..100 (Pub/Sub's bounds). */
  maxDeliveryAttempts: number;
  /** Resolves when the delivery is handled (then it is acked); rejects to have it redelivered. */
  handler(delivery: ReceivedDelivery): Promise<void>;
  /** Reads bodies published by reference; required if receivers use a body store. */
  bodyStore?: BodyStore;
  /** Redelivery backoff after a failure. Default 10 s .. 600 s. */
  retryBackoffSeconds?: { minimum: number; maximum: number };
  /**
   * Deliver in publish order per connection (ordering key). Default true. Only applies when the
   * subscription is created. Note: the Pub/Sub emulator does not dead-letter messages on ordered
   * subscriptions (real Pub/Sub does), so emulator tests of dead-lettering use `ordered: false`.
   */
  ordered?: boolean;
  /** Messages handled at once by this worker. Default 100. */
  maxInFlight?: number;
  /** A message that could not be handled (it is nacked): undecodable, its body unreadable, or `handler` failed. */
  onError?(error: unknown, delivery: { messageId: string; deliveryId?: string }): void;
  /** The pull stream reported an error but stays open: the client library retries on its own. */
  onStreamError?(error: unknown): void;
  /**
   * The pull stream ended for good, not by `close()`: Pub/Sub will not retry it (the subscription was
   * deleted, permission was revoked...). Nothing is pulled any more; call `close()` and stop. Called
   * at most once, with the error explaining what happened and the fix.
   */
  onStopped?(error: ConnectorError): void;
  pubsub?: PubSub;
}

export interface DeliverySubscription {
  close(): Promise<void>;
}

/** An expiration policy without a ttl: the subscription never expires. */
const NEVER_EXPIRES = {};

/**
 * The worker side of the Pub/Sub bus: pulls deliveries in order per connection, acks each only after
 * `handler` resolved, nacks on failure, and lets Pub/Sub move a delivery to the dead-letter topic
 * after `maxDeliveryAttempts` failed attempts.
 */
export async function subscribeDeliveries(options: SubscribeDeliveriesOptions): Promise<DeliverySubscription> {
  const { maxDeliveryAttempts } = options;
  if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 5 || maxDeliveryAttempts > 100) {
    throw new ConnectorError('BUS_CONFIG', `maxDeliveryAttempts must be an integer from 5 to 100 (Pub/Sub's bounds), got ${maxDeliveryAttempts}.`);
  }
  const pubsub = options.pubsub ?? new PubSub({ projectId: options.projectId });
  const topicName = webhooksTopicName(options.connector);
  await ensureTopic(pubsub, topicName, { create: true });
  await ensureTopic(pubsub, options.deadLetterTopic, { create: true });
  const deadLetterTopic = pubsub.topic(options.deadLetterTopic);
  // Neither expires: Pub/Sub deletes a subscription nobody pulled from for 31 days unless told not to,
  // and a topic without one drops what is published to it (dead letters, or every delivery).
  await ensureSubscription(deadLetterTopic, `${options.deadLetterTopic}-hold`, { expirationPolicy: NEVER_EXPIRES });
  const backoff = options.retryBackoffSeconds ?? { minimum: 10, maximum: 600 };
  const subscription = await ensureSubscription(pubsub.topic(topicName), options.subscription, {
    enableMessageOrdering: options.ordered ?? true,
    deadLetterPolicy: { deadLetterTopic: deadLetterTopic.name, maxDeliveryAttempts },
    retryPolicy: { minimumBackoff: { seconds: backoff.minimum }, maximumBackoff: { seconds: backoff.maximum } },
    expirationPolicy: NEVER_EXPIRES,
  });
  subscription.setOptions({ flowControl: { maxMessages: options.maxInFlight ?? 100, allowExcessMessages: false } });

  const inFlight = new Set<Promise<void>>();
  const onMessage = (message: Message) => {
    const work = handle(message).finally(() => inFlight.delete(work));
    inFlight.add(work);
  };

  async function handle(message: Message): Promise<void> {
    const attrs = message.attributes;
    try {
      const { headers, body } = decodeDeliveryData(message.data);
      const ref = attrs[ATTR.bodyRef];
      let fullBody = body;
      if (ref) {
        if (!options.bodyStore?.get) {
          throw new ConnectorError('BUS_CONFIG', `Delivery ${attrs[ATTR.deliveryId]} carries its body by reference but the worker has no body store.`, {
            hint: 'Give subscribeDeliveries the same body store the receivers use.',
          });
        }
        fullBody = await options.bodyStore.get(ref);
      }
      await options.handler({
        connector: attrs[ATTR.connector] ?? options.connector,
        connection: attrs[ATTR.connection] ?? message.orderingKey ?? '',
        deliveryId: attrs[ATTR.deliveryId] ?? message.id,
        event: attrs[ATTR.event] ?? '',
        headers,
        body: fullBody,
        attempt: message.deliveryAttempt || 1,
        messageId: message.id,
      });
      message.ack();
    } catch (error) {
      options.onError?.(error, { messageId: message.id, ...(attrs[ATTR.deliveryId] ? { deliveryId: attrs[ATTR.deliveryId] } : {}) });
      message.nack();
    }
  }

  // The client library retries the pull streams it can; when it cannot (or the retries give up) it
  // emits 'error' and then closes the subscription at once, and nothing else happens: no message comes
  // again and the process has nothing left to wait for. So an error after which the subscription is
  // no longer open is the end of this subscription, reported once through onStopped.
  let closing = false;
  let stopped = false;
  const stop = (cause: unknown) => {
    if (closing || stopped) return;
    stopped = true;
    options.onStopped?.(pullStoppedError(options.subscription, cause));
  };
  const onStreamError = (error: unknown) => {
    // The library closes the subscription synchronously right after emitting the error: look once
    // the current callbacks are done.
    setImmediate(() => {
      if (closing || stopped) return;
      if (subscription.isOpen) options.onStreamError?.(error);
      else stop(error);
    });
  };
  // A close without any error first (not expected, but then nothing would be pulled either).
  const onClose = () => setImmediate(() => stop(undefined));
  subscription.on('message', onMessage);
  subscription.on('error', onStreamError);
  subscription.on('close', onClose);

  return {
    async close() {
      closing = true;
      subscription.removeListener('message', onMessage);
      await Promise.allSettled(inFlight);
      await subscription.close();
      subscription.removeListener('error', onStreamError);
      subscription.removeListener('close', onClose);
      if (!options.pubsub) await pubsub.close();
    },
  };
}

/** gRPC status codes a pull stream ends with that say what to fix. */
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;
const UNKNOWN = 2;
const STATUS_NAMES: Record<number, string> = {
  1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
const RESTART = 'Restart the worker (a supervisor with Restart=on-failure does it): it exits non-zero for that.';

/** What a pull stream that ended for good means, and the fix. */
function pullStoppedError(subscription: string, cause: unknown): ConnectorError {
  const status = (cause as { code?: unknown } | null)?.code;
  const code = typeof status === 'number' ? status : undefined;
  const details = (cause as { details?: unknown } | null)?.details;
  const said = typeof details === 'string' && details ? details : cause instanceof Error ? cause.message : '';
  const why = code === undefined ? said || 'no error given' : `${STATUS_NAMES[code] ?? `status ${code}`}${said ? `: ${said}` : ''}`;
  const context = { subscription, ...(code === undefined ? {} : { status: code }) };
  if (code === NOT_FOUND) {
    return new ConnectorError('BUS_CONFIG', `Pub/Sub subscription "${subscription}" does not exist any more (it was deleted while the worker pulled from it; ${why}): the worker stopped pulling.`, {
      hint: `${RESTART} A restarted worker creates the subscription again, with its dead-letter topic; deliveries published while it did not exist are not delivered to it.`,
      context, cause,
    });
  }
  if (code === PERMISSION_DENIED || code === UNAUTHENTICATED) {
    return new ConnectorError('BUS_CONFIG', `Pub/Sub refused the worker's pull from subscription "${subscription}" (${why}): the worker stopped pulling.`, {
      hint: `Give the worker's credentials (Application Default Credentials) roles/pubsub.subscriber on the subscription, then restart the worker.`,
      context, cause,
    });
  }
  const emulator = code === UNKNOWN && process.env['PUBSUB_EMULATOR_HOST']
    ? ' On the emulator, an UNKNOWN end can come from a message it cannot redeliver on an ordered subscription: delete the subscription (the restarted worker creates it again).'
    : '';
  return new ConnectorError('BUS_CONFIG', `The Pub/Sub pull stream of subscription "${subscription}" ended and will not be retried (${why}): the worker stopped pulling.`, {
    hint: `${RESTART} If it stops again, check the subscription and the worker's credentials in Google Cloud.${emulator}`,
    context, cause,
  });
}
