import type { Bus } from '../bus/bus.js';
import type { ReceivedDelivery } from '../bus/subscribe-deliveries.js';
import { ConnectorError, errorLogFields, isConnectorError } from '../errors/index.js';
import type { RecordBatch, Store } from '../store/types.js';
import type { Logger } from '../sync/types.js';
import { failureText, keptHeaders, mapDelivery, parseBody, storedBatches } from '../webhooks/index.js';
import { secretValues } from '../config/index.js';
import { createSerialQueue } from './serial-queue.js';
import type { WorkerTarget } from './targets.js';

export type HandleResult = 'processed' | 'duplicate';

export interface DeliveryHandlerOptions {
  store: Store;
  /** Where mapped records are published (`connector-records-<connector>`). */
  bus: Bus;
  target(connection: string): WorkerTarget | undefined;
  /** The subscription's max delivery attempts: the attempt that reaches it marks the local row dead. */
  maxAttempts: number;
  now?: () => number;
  logger?: Logger;
  onResult?(result: HandleResult | 'failed', delivery: ReceivedDelivery): void;
}

/**
 * The worker's handler for one pulled delivery. Resolving means "ack", rejecting means "nack":
 *
 * 1. write it to the local inbox (durable; idempotent on connector + connection + delivery id). If that
 *    delivery is already `done` there, it is a Pub/Sub redelivery or a duplicate publish: resolve at once.
 * 2. map it with `webhooks.events` through the stream's record pipeline (same mapping and primary key
 *    as polling),
 * 3. publish the records to `connector-records-<connector>`, then upsert them and mark the delivery done
 *    in one transaction. A crash between 3's two steps republishes on redelivery (at least once), never loses.
 *
 * Deliveries of one connection are handled one at a time, in the order Pub/Sub hands them out.
 */
export function createDeliveryHandler(options: DeliveryHandlerOptions): (delivery: ReceivedDelivery) => Promise<HandleResult> {
  const { store, bus } = options;
  const now = options.now ?? Date.now;
  const queue = createSerialQueue();

  async function handle(delivery: ReceivedDelivery): Promise<HandleResult> {
    const contentType = delivery.headers['content-type'];
    let inserted;
    try {
      // Receivers keep no credential headers; a message published by an older release may still carry them.
      const signature = options.target(delivery.connection)?.manifest.node.webhooks?.signature;
      inserted = await store.insertDelivery({
        connector: delivery.connector, connection: delivery.connection, deliveryId: delivery.deliveryId, event: delivery.event,
        headers: keptHeaders(delivery.headers, signature), body: delivery.body, contentType, receivedAt: now(),
      });
    } catch (error) {
      options.logger?.error({ connection: delivery.connection, delivery: delivery.deliveryId, ...errorLogFields(error) }, 'worker inbox write failed; Pub/Sub will redeliver');
      throw error;
    }
    if (inserted.duplicate) {
      if (store.getDelivery(inserted.seq)?.status === 'done') return 'duplicate';
    }
    try {
      const target = options.target(delivery.connection);
      if (!target || target.connector !== delivery.connector) {
        throw new ConnectorError('CONFIG_INVALID', `connection ${delivery.connection} of connector ${delivery.connector} is not configured on this worker`, {
          hint: 'Give the worker the same connections file as the receivers (--connections).',
        });
      }
      const payload = parseBody(delivery.body, contentType);
      const locate = (path: ReadonlyArray<string | number>) => target.manifest.locate(path);
      const mapped = await mapDelivery(target.manifest.node, delivery.event, payload, { pipelineFor: target.pipelineFor, config: target.config, headers: delivery.headers, locate });
      const batches: RecordBatch[] = storedBatches(mapped, { pipelineFor: target.pipelineFor, locate });
      for (const { stream, records } of batches) await bus.publishRecords(delivery.connector, delivery.connection, stream, records);
      await store.settleDeliveries([{ seq: inserted.seq, replays: null, connection: delivery.connection, done: true, batches }]);
      return 'processed';
    } catch (error) {
      const target = options.target(delivery.connection);
      const message = failureText(error, target ? secretValues(target.manifest.node.spec, target.config) : []);
      // Pub/Sub owns the retries; the local row records the last error, and `dead` once Pub/Sub
      // moves the message to the dead-letter topic (the attempt that reaches maxAttempts).
      const dead = delivery.attempt >= options.maxAttempts;
      const about = { connector: delivery.connector, connection: delivery.connection, event: delivery.event, delivery: delivery.deliveryId, attempt: delivery.attempt, dead, err: message, ...(isConnectorError(error) ? { code: error.code } : {}) };
      if (dead) options.logger?.error(about, 'delivery dead-lettered; fix what the error says, then replay it from the dead-letter topic');
      else options.logger?.warn(about, 'delivery failed; Pub/Sub will redeliver it');
      await store.settleDeliveries([{ seq: inserted.seq, replays: null, done: false, error: message, nextAttemptAt: dead ? null : now() }]).catch(() => {});
      throw error;
    }
  }

  return (delivery) =>
    queue.run(delivery.connection, () => handle(delivery)).then(
      (result) => {
        options.onResult?.(result, delivery);
        return result;
      },
      (error: unknown) => {
        options.onResult?.('failed', delivery);
        throw error;
      },
    );
}
