import type { StoredToken, TokenStore } from './types.js';

/** Tokens kept in memory for the life of the process (tests, one-off runs). */
export function createMemoryTokenStore(initial: Record<string, StoredToken> = {}): TokenStore {
  const tokens = new Map<string, StoredToken>(Object.entries(initial));
  return {
    load: async (key) => {
      const token = tokens.get(key);
      return token && { ...token };
    },
    save: async (key, token) => {
      tokens.set(key, { ...token });
    },
  };
}
