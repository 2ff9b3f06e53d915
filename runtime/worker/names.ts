import { webhooksTopicName } from '../bus/topic-names.js';

/**
 * Pub/Sub names a worker pool uses for one connector. The prefix separates pools or environments that
 * share a project (`staging-`, `eu-`): each prefix gets its own subscription (so each pool sees every
 * delivery) and its own dead-letter topic (so one pool's dead letters are not mixed with another's).
 */
export const workerSubscriptionName = (connector: string, prefix = ''): string => `${prefix}${webhooksTopicName(connector)}-worker`;
export const deadLetterTopicName = (connector: string, prefix = ''): string => `${prefix}${webhooksTopicName(connector)}-dead`;
