export { verifySignature } from './verify.js';
export { renderSecrets } from './secrets.js';
export { secretSources } from './missing-secret.js';
export { parseDelivery, parseBody, deliveryKeysFromHeaders, invalidJson, type ParsedDelivery } from './parse-delivery.js';
export { answerHandshake, type HandshakeAnswer } from './handshake.js';
export { failureText, isRouted, mapDelivery, storedBatches, type MappedRecords, type MapContext } from './map-delivery.js';
export { keptHeaders, normaliseHeaders } from './headers.js';
export { safeEqual } from './constant-time.js';
export type { RawHeaders, VerifyResult, VerifyFailureReason } from './types.js';
