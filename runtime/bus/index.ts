export type { BodyStore, Bus, DeliveryMessage, PublishedRecord } from './bus.js';
export { createLocalBus } from './local-bus.js';
export { createPubSubBus, DEFAULT_MAX_INLINE_BYTES, DEFAULT_PUBLISH_TIMEOUT_MS, type PubSubBusOptions } from './pubsub-bus.js';
export { subscribeDeliveries, type DeliverySubscription, type ReceivedDelivery, type SubscribeDeliveriesOptions } from './subscribe-deliveries.js';
export { createFileBodyStore, type FileBodyStore } from './file-body-store.js';
export { BODIES_DIR_ENV, resolveBodiesDir, resolveCreateTopics, resolveProjectId } from './shared-settings.js';
export { decodeDeliveryData, encodeDeliveryData, DELIVERY_FORMAT } from './delivery-codec.js';
export { ATTR, recordsTopicName, webhooksTopicName } from './topic-names.js';
export { createBus, type BusKind, type BusSettings } from './create-bus.js';
