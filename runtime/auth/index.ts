export { createAuthenticator } from './create-authenticator.js';
export type { AuthContext, AuthFactory } from './context.js';
export { credentialFields } from './credential-fields.js';
export { createMemoryTokenStore } from './memory-token-store.js';
export { createFileTokenStore } from './file-token-store.js';
export type { Authenticator, StoredToken, TokenStore } from './types.js';
export type { AuthNode, AuthNodeOf, AuthType } from './schema.js';
