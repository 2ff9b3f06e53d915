import { Type, type Static } from '@sinclair/typebox';
import { Strict, Template } from '../manifest/schema-helpers.js';

export const NoAuth = Strict({ type: Type.Literal('none') }, { $id: 'NoAuth', description: 'No authentication.' });

export const BearerAuth = Strict(
  {
    type: Type.Literal('bearer'),
    token: Template('The token sent as `Authorization: Bearer <token>`, e.g. "{{ config.token }}".'),
  },
  { $id: 'BearerAuth', description: 'A static bearer token (personal access token, API key used as bearer).' },
);

export const ApiKeyAuth = Strict(
  {
    type: Type.Literal('api_key'),
    inject_into: Type.Union([Type.Literal('header'), Type.Literal('query')], { default: 'header', description: 'Where the key goes.' }),
    name: Type.String({ description: 'Header or query parameter name, e.g. "X-API-Key" or "api_key".' }),
    value: Template('The key, e.g. "{{ config.api_key }}". A prefix is part of the template: "Token {{ config.key }}".'),
  },
  { $id: 'ApiKeyAuth', description: 'An API key sent in a header or a query parameter.' },
);

export const BasicAuth = Strict(
  {
    type: Type.Literal('basic'),
    username: Template('User name or e-mail, e.g. "{{ config.email }}".'),
    password: Template('Password or API token, e.g. "{{ config.api_token }}".'),
  },
  { $id: 'BasicAuth', description: 'HTTP Basic authentication.' },
);

export const OAuth2Auth = Strict(
  {
    type: Type.Literal('oauth2'),
    grant: Type.Union([Type.Literal('refresh_token'), Type.Literal('client_credentials')], {
      description: 'How a new access token is obtained.',
    }),
    token_url: Template('The token endpoint, e.g. "https://gitlab.com/oauth/token".'),
    client_id: Template('OAuth client id.'),
    client_secret: Type.Optional(Template('OAuth client secret (omit for public clients).')),
    refresh_token: Type.Optional(Template('Refresh token (grant refresh_token). Rotated tokens are persisted.')),
    access_token: Type.Optional(Template('An access token to start with; refreshed when it expires.')),
    expires_at: Type.Optional(Template('When `access_token` expires (ISO 8601 or epoch seconds).')),
    scopes: Type.Optional(Type.Array(Type.String(), { description: 'Scopes to request.' })),
    client_auth: Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')], {
      default: 'client_secret_post',
      description: 'How the client authenticates at the token endpoint.',
    }),
    refresh_before_seconds: Type.Integer({ minimum: 0, default: 60, description: 'Refresh this long before the token expires.' }),
  },
  { $id: 'OAuth2Auth', description: 'OAuth 2.0 access tokens, refreshed before expiry, one refresh at a time.' },
);

export const GitHubAppAuth = Strict(
  {
    type: Type.Literal('github_app'),
    app_id: Template('The GitHub App id (or client id), e.g. "{{ config.app_id }}".'),
    private_key: Template('The App private key (PEM), e.g. "{{ config.private_key }}".'),
    installation_id: Template('The installation id, e.g. "{{ config.installation_id }}".'),
    token_url: Type.Optional(
      Template('Where installation tokens are minted. Default: "<url_base>/app/installations/<installation_id>/access_tokens".'),
    ),
  },
  { $id: 'GitHubAppAuth', description: 'GitHub App: a JWT signed with the private key buys an installation token, cached until shortly before it expires.' },
);

/** The schemes a selector may choose among (a selector does not nest). */
export const SingleAuth = Type.Union([NoAuth, BearerAuth, ApiKeyAuth, BasicAuth, OAuth2Auth, GitHubAppAuth], {
  description: 'One authentication scheme.',
});

export const SelectorAuth = Strict(
  {
    type: Type.Literal('selector'),
    select: Template(
      'Renders, from the config, the name of the option to use, e.g. "{{ $exists(config.app) ? \'app\' : \'token\' }}".',
    ),
    options: Type.Record(Type.String(), SingleAuth, { description: 'The alternatives, by name.' }),
  },
  {
    $id: 'SelectorAuth',
    description: 'Lets a connection choose its scheme by config (a token, an OAuth app or a GitHub App for one connector).',
  },
);

export const Auth = Type.Union([NoAuth, BearerAuth, ApiKeyAuth, BasicAuth, OAuth2Auth, GitHubAppAuth, SelectorAuth], {
  description: 'How requests are authenticated. `type` selects the scheme.',
});

export type AuthNode = Static<typeof Auth>;
export type AuthType = AuthNode['type'];
export type AuthNodeOf<K extends AuthType> = Extract<AuthNode, { type: K }>;
