import type { CreateSubscriptionOptions, PubSub, Subscription, Topic } from '@google-cloud/pubsub';
import { ConnectorError } from '../errors/index.js';

const NOT_FOUND = 5; // gRPC status codes
const ALREADY_EXISTS = 6;

/** Whether an error is gRPC ALREADY_EXISTS (another process created the resource first). */
function alreadyExists(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === ALREADY_EXISTS;
}

/**
 * The topic, created if missing (races with other receivers are fine). With `create: false` nothing
 * is checked: `topic.exists()` needs `pubsub.topics.get`, which a publish-only account
 * (roles/pubsub.publisher) lacks, and a missing topic shows up as the publish's NOT_FOUND
 * (see topicNotFound).
 */
export async function ensureTopic(pubsub: PubSub, name: string, options: { create: boolean }): Promise<void> {
  if (!options.create) return;
  const topic = pubsub.topic(name);
  try {
    const [exists] = await topic.exists();
    if (!exists) await topic.create();
  } catch (error) {
    if (alreadyExists(error)) return;
    throw new ConnectorError('BUS_CONFIG', `Cannot check or create Pub/Sub topic "${name}".`, {
      hint: 'Check the project id, credentials (roles/pubsub.editor to create topics, or create them beforehand and set GWI_PUBSUB_CREATE_TOPICS=false) and PUBSUB_EMULATOR_HOST.',
      cause: error,
    });
  }
}

/** Whether a publish failed because its topic does not exist (gRPC NOT_FOUND). */
export function topicNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === NOT_FOUND;
}

/** The subscription on `topic`, created with `options` if missing; an existing one is left as configured. */
export async function ensureSubscription(topic: Topic, name: string, options: CreateSubscriptionOptions): Promise<Subscription> {
  const subscription = topic.subscription(name);
  try {
    const [exists] = await subscription.exists();
    if (!exists) await topic.createSubscription(name, options);
  } catch (error) {
    if (!alreadyExists(error)) {
      throw new ConnectorError('BUS_CONFIG', `Cannot check or create Pub/Sub subscription "${name}" on topic "${topic.name}".`, {
        hint: 'Check the credentials (roles/pubsub.editor) and that a dead-letter topic is in the same project.',
        cause: error,
      });
    }
  }
  return subscription;
}
