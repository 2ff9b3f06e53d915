import type { AuthFactory } from './context.js';
import { credentialFields } from './credential-fields.js';
import { once, renderRequired, renderText } from './render.js';

/** `type: basic`: `Authorization: Basic base64(username:password)`. */
export const createBasicAuth: AuthFactory<'basic'> = (node, ctx) => {
  const header = once(async () => {
    const username = await renderRequired(node.username, ctx.scope, 'the basic auth username');
    // An empty password is legal in HTTP Basic (some APIs take the token as the username).
    const password = await renderText(node.password, ctx.scope);
    return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  });
  return {
    async apply(request) {
      request.headers.Authorization = await header();
    },
    invalidate: async () => false,
    credentialFields: credentialFields([node.username, node.password]),
  };
};
