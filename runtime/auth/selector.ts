import { ConnectorError } from '../errors/index.js';
import type { AuthContext } from './context.js';
import { credentialFields } from './credential-fields.js';
import { once, renderText } from './render.js';
import type { AuthNode, AuthNodeOf } from './schema.js';
import type { Authenticator } from './types.js';

type Build = (node: AuthNode, ctx: AuthContext) => Authenticator;

/**
 * `type: selector`: the config chooses one of several schemes. The choice is made once, on first
 * use, so a connection keeps one credential (and one token cache) for its lifetime.
 */
export function createSelectorAuth(node: AuthNodeOf<'selector'>, ctx: AuthContext, build: Build): Authenticator {
  const names = Object.keys(node.options);
  let chosen: Authenticator | undefined;
  const choose = once(async () => {
    const name = await renderText(node.select, ctx.scope);
    const option = node.options[name];
    if (!option) {
      throw new ConnectorError('AUTH_INVALID_CREDENTIALS', `auth.select rendered ${JSON.stringify(name)}, which is not one of: ${names.join(', ')}`, {
        hint: 'Give the config one of the credentials the manifest supports.',
        location: { path: 'auth.select' },
      });
    }
    chosen = build(option, ctx);
    return chosen;
  });
  const allFields = credentialFields(Object.values(node.options).flatMap(templateSources));
  return {
    async apply(request) {
      await (await choose()).apply(request);
    },
    async invalidate() {
      return (await choose()).invalidate();
    },
    // Before the choice is made every option's fields are candidates; after it, only the chosen one's.
    get credentialFields() {
      return chosen ? chosen.credentialFields : allFields;
    },
  };
}

function templateSources(option: AuthNode): string[] {
  return Object.values(option).filter((value): value is string => typeof value === 'string');
}
