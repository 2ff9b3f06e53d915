import { ConnectorError } from '../errors/index.js';

/**
 * Message data of a delivery: `[u32 big-endian length of headers JSON][headers JSON][raw body]`.
 * Headers travel in the data, not as attributes, because attribute values are capped at 1024 bytes;
 * the body stays byte-exact (no base64 inflation) so large payloads fit in one message.
 */
export const DELIVERY_FORMAT = 'gwi-delivery-v1';

export function encodeDeliveryData(headers: Record<string, string>, body: Buffer): Buffer {
  const head = Buffer.from(JSON.stringify(headers), 'utf8');
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(head.length, 0);
  return Buffer.concat([prefix, head, body]);
}

export function decodeDeliveryData(data: Buffer): { headers: Record<string, string>; body: Buffer } {
  if (data.length < 4) throw malformed('shorter than its 4-byte header');
  const headLength = data.readUInt32BE(0);
  if (4 + headLength > data.length) throw malformed('its header length exceeds the message');
  let headers: unknown;
  try {
    headers = JSON.parse(data.subarray(4, 4 + headLength).toString('utf8'));
  } catch (cause) {
    throw malformed('its headers are not JSON', cause);
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw malformed('its headers are not an object');
  return { headers: headers as Record<string, string>, body: data.subarray(4 + headLength) };
}

function malformed(why: string, cause?: unknown): ConnectorError {
  return new ConnectorError('BUS_CONFIG', `A Pub/Sub delivery message is not in the ${DELIVERY_FORMAT} format: ${why}.`, {
    hint: 'Only gwi-connectors receivers should publish to connector-webhooks-* topics.',
    cause,
  });
}
