export type * from './messages.js';
export { normaliseStateInput } from './state-input.js';
