import type { AuthFactory } from './context.js';

/** `type: none`: requests go out as they are. */
export const createNoAuth: AuthFactory<'none'> = () => ({
  apply: async () => undefined,
  invalidate: async () => false,
  credentialFields: [],
});
