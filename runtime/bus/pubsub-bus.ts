import { PubSub, type Topic } from '@google-cloud/pubsub';
import { ConnectorError } from '../errors/index.js';
import type { BodyStore, Bus, DeliveryMessage } from './bus.js';
import { DELIVERY_FORMAT, encodeDeliveryData } from './delivery-codec.js';
import { ensureTopic } from './pubsub-resources.js';
import { ATTR, recordsTopicName, webhooksTopicName } from './topic-names.js';

export interface PubSubBusOptions {
  /** Google Cloud project id (`GWI_PUBSUB_PROJECT`). With PUBSUB_EMULATOR_HOST set, any id works. */
  projectId: string;
  /** Where bodies too large for one message go; without it a large delivery fails to publish. */
  bodyStore?: BodyStore;
  /** Message data above this size is stored in `bodyStore` instead. Default 9.5 MB (Pub/Sub allows 10 MB per message). */
  maxInlineBytes?: number;
  /** Create missing topics on first use. Default true; turn off when receivers lack admin rights. */
  createTopics?: boolean;
  /** An existing client (tests, custom credentials). Closed by `close()` only when the bus created it. */
  pubsub?: PubSub;
}

export const DEFAULT_MAX_INLINE_BYTES = 9_500_000;

/**
 * The scale-out bus: each verified delivery goes to `connector-webhooks-<connector>` with the
 * connection as ordering key, and `publishDelivery` resolves only once Pub/Sub confirmed it.
 * Mapped records go to `connector-records-<connector>`, one message per record.
 */
export function createPubSubBus(options: PubSubBusOptions): Bus {
  if (!options.projectId) {
    throw new ConnectorError('BUS_CONFIG', 'The Pub/Sub bus needs a project id.', { hint: 'Set GWI_PUBSUB_PROJECT (or --bus-project).' });
  }
  const pubsub = options.pubsub ?? new PubSub({ projectId: options.projectId });
  const maxInline = options.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES;
  const topics = new Map<string, Promise<Topic>>();

  function topicFor(name: string): Promise<Topic> {
    let topic = topics.get(name);
    if (!topic) {
      topic = ensureTopic(pubsub, name, { create: options.createTopics ?? true }).then(() =>
        // Ordering needs `messageOrdering` on the publisher; a short batch window keeps latency low.
        pubsub.topic(name, { messageOrdering: true, batching: { maxMilliseconds: 5, maxMessages: 500 } }),
      );
      topic.catch(() => topics.delete(name)); // retry creation on the next publish
      topics.set(name, topic);
    }
    return topic;
  }

  async function publish(topic: Topic, orderingKey: string, data: Buffer, attributes: Record<string, string>): Promise<void> {
    try {
      await topic.publishMessage({ data, attributes, orderingKey });
    } catch (cause) {
      // A failed publish pauses its ordering key; resume so later deliveries are not refused forever.
      topic.resumePublishing(orderingKey);
      throw new ConnectorError('BUS_PUBLISH', `Publishing to Pub/Sub topic "${topic.name}" failed.`, {
        hint: 'The delivery was not acknowledged; the provider will retry. Check Pub/Sub availability and permissions.',
        context: { orderingKey },
        cause,
      });
    }
  }

  return {
    kind: 'pubsub',
    async publishDelivery(delivery: DeliveryMessage) {
      const topic = await topicFor(webhooksTopicName(delivery.connector));
      const attributes: Record<string, string> = {
        [ATTR.format]: DELIVERY_FORMAT,
        [ATTR.connector]: delivery.connector,
        [ATTR.connection]: delivery.connection,
        [ATTR.deliveryId]: delivery.deliveryId,
        [ATTR.event]: delivery.event,
        [ATTR.bodyBytes]: String(delivery.body.length),
      };
      let data = encodeDeliveryData(delivery.headers, delivery.body);
      if (data.length > maxInline) {
        if (!options.bodyStore) {
          throw new ConnectorError('BUS_CONFIG', `Delivery ${delivery.deliveryId} is ${delivery.body.length} bytes, over the Pub/Sub message limit, and no body store is configured.`, {
            hint: 'Configure a body store (e.g. a shared directory) for the Pub/Sub bus.',
          });
        }
        attributes[ATTR.bodyRef] = await options.bodyStore.put(`${delivery.connector}/${delivery.connection}/${delivery.deliveryId}`, delivery.body);
        data = encodeDeliveryData(delivery.headers, Buffer.alloc(0));
      }
      await publish(topic, delivery.connection, data, attributes);
    },
    async publishRecords(connector, connection, stream, records) {
      if (records.length === 0) return;
      const topic = await topicFor(recordsTopicName(connector));
      const attributes = { [ATTR.connector]: connector, [ATTR.connection]: connection, [ATTR.stream]: stream };
      // All in flight at once: the client batches them, and ordering per connection is kept.
      await Promise.all(records.map((record) => publish(topic, connection, Buffer.from(JSON.stringify(record)), attributes)));
    },
    async close() {
      const opened = await Promise.allSettled(topics.values());
      await Promise.all(opened.map((t) => (t.status === 'fulfilled' ? t.value.flush() : undefined)));
      if (!options.pubsub) await pubsub.close();
    },
  };
}
