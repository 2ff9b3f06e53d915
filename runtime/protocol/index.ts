export type * from './messages.js';
export { normaliseCatalogInput } from './catalog-input.js';
export { normaliseStateInput } from './state-input.js';
