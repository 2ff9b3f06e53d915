import type { Message, PubSub } from '@google-cloud/pubsub';

export interface Tap {
  messages: Message[];
  /** Waits (bounded) until `count` messages arrived; returns what arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Message[]>;
  close(): Promise<void>;
}

/**
 * A plain subscription on a topic that collects and acks everything, created before anything is
 * published (Pub/Sub keeps nothing for subscriptions made later). The topic is created if missing.
 */
export async function tapTopic(pubsub: PubSub, topicName: string, options: { name: string; ordered?: boolean }): Promise<Tap> {
  const topic = pubsub.topic(topicName);
  const [exists] = await topic.exists();
  if (!exists) await topic.create();
  const [subscription] = await topic.createSubscription(options.name, { enableMessageOrdering: options.ordered ?? false });
  const messages: Message[] = [];
  subscription.on('message', (m: Message) => {
    messages.push(m);
    m.ack();
  });
  return {
    messages,
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return messages;
    },
    close: () => subscription.close(),
  };
}
