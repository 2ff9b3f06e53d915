import type { CreateSubscriptionOptions, PubSub, Subscription, Topic } from '@google-cloud/pubsub';
import { ConnectorError } from '../errors/index.js';

const ALREADY_EXISTS = 6; // gRPC status code

/** Whether an error is gRPC ALREADY_EXISTS (another process created the resource first). */
function alreadyExists(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === ALREADY_EXISTS;
}

/** The topic, created if missing (races with other receivers are fine). */
export async function ensureTopic(pubsub: PubSub, name: string, options: { create: boolean }): Promise<void> {
  const topic = pubsub.topic(name);
  try {
    const [exists] = await topic.exists();
    if (exists) return;
    if (!options.create) {
      throw new ConnectorError('BUS_CONFIG', `Pub/Sub topic "${name}" does not exist.`, { hint: 'Create it, or let the runtime create missing topics.' });
    }
    await topic.create();
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    if (alreadyExists(error)) return;
    throw new ConnectorError('BUS_CONFIG', `Cannot check or create Pub/Sub topic "${name}".`, {
      hint: 'Check the project id, credentials (roles/pubsub.editor to create topics) and PUBSUB_EMULATOR_HOST.',
      cause: error,
    });
  }
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
