/** One verified webhook delivery, as stored in the inbox and published to the bus. */
export interface DeliveryMessage {
  connector: string;
  connection: string;
  /** The dedupe key of the delivery (e.g. GitHub hook id + delivery id). */
  deliveryId: string;
  event: string;
  headers: Record<string, string>;
  /** The raw body exactly as received, so workers can re-verify or re-parse it. */
  body: Buffer;
}

/**
 * Where verified deliveries and mapped records go besides the embedded store. The local bus does
 * nothing (the SQLite inbox is the queue); the Pub/Sub bus publishes and resolves only once the
 * publish is confirmed, so a receiver answers 2xx only for deliveries that reached Pub/Sub.
 */
/** A mapped record and its version (RecordPipeline.stored: its stream's cursor value, null without one). */
export interface PublishedRecord {
  data: object;
  version?: number | string | null;
}

export interface Bus {
  readonly kind: 'local' | 'pubsub';
  publishDelivery(delivery: DeliveryMessage): Promise<void>;
  publishRecords(connector: string, connection: string, stream: string, records: ReadonlyArray<PublishedRecord>): Promise<void>;
  /** Where this bus puts bodies too large for a message, if anywhere (`serve`'s retention prunes it). */
  readonly bodyStore?: BodyStore;
  /**
   * Why deliveries cannot be published now (the last publish failed, until one succeeds or a check
   * this call starts, at most every 2 s, finds the topic usable again); undefined while they can.
   */
  failing?(): string | undefined;
  close(): Promise<void>;
}

/** Keeps bodies too large for a Pub/Sub message (10 MB) and hands back a reference to them. */
export interface BodyStore {
  put(key: string, body: Buffer): Promise<string>;
  /** Needed on the worker side to read a body published by reference. */
  get?(reference: string): Promise<Buffer>;
  /** Delete the bodies stored before `before` (epoch ms); returns how many. Run by `serve`'s retention. */
  prune?(before: number): Promise<number>;
}
