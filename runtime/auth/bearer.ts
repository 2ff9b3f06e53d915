import type { AuthFactory } from './context.js';
import { credentialFields } from './credential-fields.js';
import { once, renderRequired } from './render.js';

/** `type: bearer`: a static token sent as `Authorization: Bearer <token>`. */
export const createBearerAuth: AuthFactory<'bearer'> = (node, ctx) => {
  const token = once(() => renderRequired(node.token, ctx.scope, 'the bearer token'));
  return {
    async apply(request) {
      request.headers.Authorization = `Bearer ${await token()}`;
    },
    // A static token cannot be renewed: a 401 is final.
    invalidate: async () => false,
    credentialFields: credentialFields([node.token]),
  };
};
