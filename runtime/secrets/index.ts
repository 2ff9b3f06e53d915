export { createRedactor, redactDeep, MASK } from './redact.js';
export type { Redactor } from './redact.js';
