export { createSqliteStore, openSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type * from './types.js';
