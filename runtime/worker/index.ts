export { startWorker, type Worker, type WorkerOptions, type WorkerStats } from './worker.js';
export { createDeliveryHandler, type DeliveryHandlerOptions, type HandleResult } from './handle-delivery.js';
export { loadTargets, type LoadTargetsOptions, type WorkerTarget } from './targets.js';
export { deadLetterTopicName, workerSubscriptionName } from './names.js';
