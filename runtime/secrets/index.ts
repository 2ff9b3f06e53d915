export { createRedactor, redactDeep, MASK, MIN_MASKED_LENGTH } from './redact.js';
export type { Redactor } from './redact.js';
