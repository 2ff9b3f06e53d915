import { PubSub, type Topic } from '@google-cloud/pubsub';
import { ConnectorError, createFailureLatch } from '../errors/index.js';
import type { BodyStore, Bus, DeliveryMessage, PublishedRecord } from './bus.js';
import { DELIVERY_FORMAT, encodeDeliveryData } from './delivery-codec.js';
import { ensureTopic, topicNotFound } from './pubsub-resources.js';
import { ATTR, recordsTopicName, webhooksTopicName } from './topic-names.js';

export interface PubSubBusOptions {
  /** Google Cloud project id (`GWI_PUBSUB_PROJECT`). With PUBSUB_EMULATOR_HOST set, any id works. */
  projectId: string;
  /** Where bodies too large for one message go; without it a large delivery fails to publish. */
  bodyStore?: BodyStore;
  /** Message data above this size is stored in `bodyStore` instead. Default 9.5 MB (Pub/Sub allows 10 MB per message). */
  maxInlineBytes?: number;
  /**
   * Create missing topics on first use. Default true. Turn off (`--no-create-topics`,
   * GWI_PUBSUB_CREATE_TOPICS=false) when the account may only publish (roles/pubsub.publisher): the
   * topics are then neither checked nor created, and a missing one fails the publish with BUS_PUBLISH.
   */
  createTopics?: boolean;
  /**
   * How long a publish waits for Pub/Sub to confirm before failing with BUS_PUBLISH, so a receiver
   * answers 503 (the provider retries) instead of hanging past the provider's own deadline.
   * Default 5000 ms. A publish confirmed after the deadline reaches workers twice; they dedupe on the
   * delivery id.
   */
  publishTimeoutMs?: number;
  /** An existing client (tests, custom credentials). Closed by `close()` only when the bus created it. */
  pubsub?: PubSub;
  /**
   * A delivery is confirmed only once its webhooks topic has a subscription (checked when the topic
   * is first used, and again after it had to be created anew). For receivers whose only way to the
   * mapping is the workers' subscription (`serve --no-dispatch`): Pub/Sub keeps nothing published to
   * a topic without one, so a 2xx then would lose the delivery. Needs topic creation on (the check
   * lists subscriptions, which a publish-only account may not).
   */
  requireSubscription?: boolean;
}

export const DEFAULT_MAX_INLINE_BYTES = 9_500_000;
export const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
/** gRPC status PERMISSION_DENIED. */
const PERMISSION_DENIED = 7;

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
  const timeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  const createTopics = options.createTopics ?? true;
  const requireSubscription = (options.requireSubscription ?? false) && createTopics;
  const topics = new Map<string, Promise<Topic>>();
  const ready = new Set<Topic>(); // topics whose creation finished: the ones close() flushes
  // The last delivery publish's failure, until one succeeds or failing()'s check finds the topic
  // usable again. With requireSubscription: it has a subscription again. Otherwise: Pub/Sub answers
  // for it (a publish-only account may be refused the read: an answer all the same).
  const publishFailure = createFailureLatch<{ message: string; topic: string }>((failed) => {
    const usable: Promise<unknown> = requireSubscription
      ? topicFor(failed.topic, true)
      : pubsub.topic(failed.topic).getMetadata().catch((error: unknown) => {
        if ((error as { code?: unknown } | null)?.code !== PERMISSION_DENIED) throw error;
      });
    return withDeadline(usable, timeoutMs, `checking topic ${failed.topic}`);
  });

  function topicFor(name: string, needsSubscriber: boolean): Promise<Topic> {
    let topic = topics.get(name);
    if (!topic) {
      topic = ensureTopic(pubsub, name, { create: createTopics }).then(async () => {
        // Ordering needs `messageOrdering` on the publisher; a short batch window keeps latency low.
        const created = pubsub.topic(name, { messageOrdering: true, batching: { maxMilliseconds: 5, maxMessages: 500 } });
        if (needsSubscriber) await ensureSubscriber(created, name);
        ready.add(created);
        return created;
      });
      topic.catch(() => topics.delete(name)); // check or create again on the next publish
      topics.set(name, topic);
    }
    return topic;
  }

  async function ensureSubscriber(topic: Topic, name: string): Promise<void> {
    const [subscriptions] = await topic.getSubscriptions();
    if (subscriptions.length > 0) return;
    throw new ConnectorError('BUS_PUBLISH', `Pub/Sub topic "${name}" has no subscription: a delivery published now would be dropped, so none is acknowledged.`, {
      hint: 'Start a worker (gwi-connectors worker creates its subscription); deliveries stored meanwhile are published by the republisher once one exists.',
      context: { topic: name },
    });
  }

  async function publish(topic: Topic, orderingKey: string, data: Buffer, attributes: Record<string, string>): Promise<void> {
    try {
      await topic.publishMessage({ data, attributes, orderingKey });
    } catch (cause) {
      // A failed publish pauses its ordering key; resume so later deliveries are not refused forever.
      topic.resumePublishing(orderingKey);
      if (topicNotFound(cause)) forget(topic); // deleted since: the next publish creates it again (and checks its subscription)
      throw publishError(topic, orderingKey, cause);
    }
  }

  function forget(topic: Topic): void {
    const name = shortName(topic);
    ready.delete(topic);
    void topics.get(name)?.then((cached) => cached === topic && topics.delete(name), () => undefined);
  }

  function publishError(topic: Topic, orderingKey: string, cause: unknown): ConnectorError {
    const name = shortName(topic);
    if (topicNotFound(cause)) {
      return new ConnectorError('BUS_PUBLISH', `Pub/Sub topic "${name}" does not exist in project "${options.projectId}".`, {
        hint: createTopics
          ? `It was deleted after this process created it; the next publish creates it again${requireSubscription ? ', and waits for a worker\'s subscription on it' : ' (a topic without subscriptions keeps nothing: start the workers)'}.`
          : `Topic creation is off (--no-create-topics, GWI_PUBSUB_CREATE_TOPICS=false): create it (gcloud pubsub topics create ${name}), or let an account with roles/pubsub.editor create topics.`,
        context: { topic: name, orderingKey },
        cause,
      });
    }
    return new ConnectorError('BUS_PUBLISH', `Publishing to Pub/Sub topic "${name}" failed.`, {
      hint: 'The delivery was not acknowledged; the provider will retry. Check Pub/Sub availability and permissions (roles/pubsub.publisher).',
      context: { topic: name, orderingKey },
      cause,
    });
  }

  async function publishDelivery(delivery: DeliveryMessage): Promise<void> {
    const topic = await topicFor(webhooksTopicName(delivery.connector), requireSubscription);
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
  }

  async function publishRecords(connector: string, connection: string, stream: string, records: ReadonlyArray<PublishedRecord>): Promise<void> {
    if (records.length === 0) return;
    const topic = await topicFor(recordsTopicName(connector), false);
    const attributes = { [ATTR.connector]: connector, [ATTR.connection]: connection, [ATTR.stream]: stream };
    // All in flight at once: the client batches them, and ordering per connection is kept. The
    // version (JSON: a number, or a string) lets a consumer keep the newer of two copies, as the
    // record store does: a sync may publish a copy older than a webhook's published before it.
    await Promise.all(records.map(({ data, version }) =>
      publish(topic, connection, Buffer.from(JSON.stringify(data)), version === undefined || version === null ? attributes : { ...attributes, [ATTR.version]: JSON.stringify(version) })));
  }

  return {
    kind: 'pubsub',
    ...(options.bodyStore ? { bodyStore: options.bodyStore } : {}),
    publishDelivery: (delivery) =>
      withDeadline(publishDelivery(delivery), timeoutMs, `delivery ${delivery.deliveryId}`).then(
        () => publishFailure.succeeded(),
        (error: unknown) => {
          publishFailure.failed({ message: error instanceof Error ? error.message : String(error), topic: webhooksTopicName(delivery.connector) });
          throw error;
        },
      ),
    failing: () => publishFailure.current()?.message,
    publishRecords: (connector, connection, stream, records) =>
      withDeadline(publishRecords(connector, connection, stream, records), timeoutMs, `${records.length} ${stream} record(s)`),
    async close() {
      // Flush what is batched, bounded like a publish; topic creations still pending are abandoned.
      await withDeadline(Promise.all([...ready].map((topic) => topic.flush())), timeoutMs, 'the final flush').catch(() => undefined);
      if (!options.pubsub) await pubsub.close();
    },
  };
}

const shortName = (topic: Topic) => topic.name.slice(topic.name.lastIndexOf('/') + 1);

/** Rejects with BUS_PUBLISH when `work` has not settled within `ms`. */
async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new ConnectorError('BUS_PUBLISH', `Pub/Sub did not confirm ${what} within ${ms} ms.`, {
          hint: 'Check that Pub/Sub (or PUBSUB_EMULATOR_HOST) is reachable; the sender will retry.',
        }),
      );
    }, ms);
  });
  work.catch(() => undefined); // settled after the deadline: already reported
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
