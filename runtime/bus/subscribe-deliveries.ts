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
  onError?(error: unknown, delivery: { messageId: string; deliveryId?: string }): void;
  pubsub?: PubSub;
}

export interface DeliverySubscription {
  close(): Promise<void>;
}

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
  await ensureSubscription(deadLetterTopic, `${options.deadLetterTopic}-hold`, {});
  const backoff = options.retryBackoffSeconds ?? { minimum: 10, maximum: 600 };
  const subscription = await ensureSubscription(pubsub.topic(topicName), options.subscription, {
    enableMessageOrdering: options.ordered ?? true,
    deadLetterPolicy: { deadLetterTopic: deadLetterTopic.name, maxDeliveryAttempts },
    retryPolicy: { minimumBackoff: { seconds: backoff.minimum }, maximumBackoff: { seconds: backoff.maximum } },
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

  const onStreamError = (error: unknown) => options.onError?.(error, { messageId: '' });
  subscription.on('message', onMessage);
  subscription.on('error', onStreamError);

  return {
    async close() {
      subscription.removeListener('message', onMessage);
      await Promise.allSettled(inFlight);
      await subscription.close();
      subscription.removeListener('error', onStreamError);
      if (!options.pubsub) await pubsub.close();
    },
  };
}
