import type { PreparedRequest } from '../http/types.js';

/** Applies credentials to a request. Implementations cache and refresh tokens as needed. */
export interface Authenticator {
  apply(request: PreparedRequest): Promise<void>;
  /** Called after a 401: drop a cached token so the next apply mints a fresh one. Returns true if a retry may help. */
  invalidate(): Promise<boolean>;
  /** Which config keys hold the credential, for "fix the credential" messages (e.g. ["token"]). */
  readonly credentialFields: readonly string[];
}

/** Where rotated OAuth tokens are persisted (the service's store; a JSON file for the CLI). */
export interface TokenStore {
  load(key: string): Promise<StoredToken | undefined>;
  save(key: string, token: StoredToken): Promise<void>;
}

export interface StoredToken {
  access_token: string;
  refresh_token?: string;
  /** Epoch milliseconds. */
  expires_at?: number;
}
