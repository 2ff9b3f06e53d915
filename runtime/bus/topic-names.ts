/** Topic naming shared by receivers and workers: one topic per connector and kind. */
export const webhooksTopicName = (connector: string): string => `connector-webhooks-${connector}`;
export const recordsTopicName = (connector: string): string => `connector-records-${connector}`;

/** Message attribute names (Pub/Sub attributes: at most 100, values up to 1024 bytes). */
export const ATTR = {
  format: 'format',
  connector: 'connector',
  connection: 'connection',
  deliveryId: 'delivery_id',
  event: 'event',
  bodyBytes: 'body_bytes',
  bodyRef: 'body_ref',
  stream: 'stream',
  /** A record's version, as JSON (a number, or a string): see PublishedRecord. Absent without one. */
  version: 'version',
} as const;
