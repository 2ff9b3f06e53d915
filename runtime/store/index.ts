export { createSqliteStore, openSqliteStore, schemaUpgradeNotice, type SqliteStoreOptions } from './sqlite-store.js';
export type * from './types.js';
