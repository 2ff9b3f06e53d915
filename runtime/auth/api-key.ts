import type { AuthFactory } from './context.js';
import { credentialFields } from './credential-fields.js';
import { once, renderRequired } from './render.js';

/** `type: api_key`: a key in a header or a query parameter. */
export const createApiKeyAuth: AuthFactory<'api_key'> = (node, ctx) => {
  const key = once(() => renderRequired(node.value, ctx.scope, `the API key (${node.name})`));
  return {
    async apply(request) {
      if (node.inject_into === 'query') request.params[node.name] = await key();
      else request.headers[node.name] = await key();
    },
    invalidate: async () => false,
    credentialFields: credentialFields([node.value]),
  };
};
