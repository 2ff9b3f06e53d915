import { createApiKeyAuth } from './api-key.js';
import { createBasicAuth } from './basic.js';
import { createBearerAuth } from './bearer.js';
import type { AuthContext, AuthFactory } from './context.js';
import { createGitHubAppAuth } from './github-app.js';
import { createNoAuth } from './none.js';
import { createOAuth2Auth } from './oauth2.js';
import { createSelectorAuth } from './selector.js';
import type { AuthNode, AuthType } from './schema.js';
import type { Authenticator } from './types.js';

/** One factory per `auth.type`: a new type in the schema without a factory is a compile error. */
const factories: { [K in AuthType]: AuthFactory<K> } = {
  none: createNoAuth,
  bearer: createBearerAuth,
  api_key: createApiKeyAuth,
  basic: createBasicAuth,
  oauth2: createOAuth2Auth,
  github_app: createGitHubAppAuth,
  selector: (node, ctx) => createSelectorAuth(node, ctx, createAuthenticator),
};

/** The authenticator for a manifest's `auth` (none when absent). */
export function createAuthenticator(node: AuthNode | undefined, ctx: AuthContext): Authenticator {
  if (!node) return createNoAuth({ type: 'none' }, ctx);
  // TypeScript cannot correlate `node.type` with the factory it picks; the table's type guarantees it.
  const factory = factories[node.type] as AuthFactory<AuthType>;
  return factory(node, ctx);
}
