import type { Scope } from '../expressions/index.js';
import type { Authenticator, TokenStore } from './types.js';
import type { AuthNodeOf, AuthType } from './schema.js';

/** What an authenticator needs besides its manifest node. */
export interface AuthContext {
  /** Scope the auth templates render with (`config`...). */
  scope: Scope;
  /** Where rotated tokens are persisted and loaded from first. */
  tokenStore?: TokenStore;
  /** Key of this connection's tokens in the store, e.g. "gitlab/acme". */
  tokenKey: string;
  /** Rendered `requester.url_base` (GitHub App token endpoint default). */
  urlBase: string;
  /** Injectable fetch for token endpoints. */
  fetch?: typeof fetch;
  now?: () => Date;
}

export type AuthFactory<K extends AuthType> = (node: AuthNodeOf<K>, ctx: AuthContext) => Authenticator;
