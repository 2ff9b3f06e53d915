import { Type, type Static } from '@sinclair/typebox';
import { AnyJson, Expr, Strict, Template, TemplateMap } from '../manifest/schema-helpers.js';

export const Retry = Strict(
  {
    attempts: Type.Integer({ minimum: 1, default: 5, description: 'Most attempts per request, the first included.' }),
    backoff: Type.Union([Type.Literal('exponential'), Type.Literal('constant')], { default: 'exponential' }),
    base_ms: Type.Integer({ minimum: 0, default: 500, description: 'First backoff delay.' }),
    max_ms: Type.Integer({ minimum: 0, default: 60000, description: 'Cap on one backoff delay (and on a Retry-After wait).' }),
    jitter: Type.Union([Type.Literal('full'), Type.Literal('none')], { default: 'full', description: 'Full jitter: a random delay in [0, backoff].' }),
    max_total_wait_ms: Type.Integer({ minimum: 0, default: 600000, description: 'Cap on the total time one request spends waiting between attempts.' }),
  },
  { $id: 'Retry', description: 'Retries of 429, 5xx, 408, timeouts and network errors.' },
);

export const ResponseAction = Type.Union(
  [Type.Literal('retry'), Type.Literal('ignore'), Type.Literal('fail'), Type.Literal('rate_limited'), Type.Literal('success')],
  { description: 'retry: try again after a backoff; rate_limited: wait (wait_until/Retry-After) and retry without spending an attempt budget beyond caps; ignore: treat as an empty page; fail: stop with an error; success: accept the response.' },
);

export const ResponseRule = Strict(
  {
    when: Expr('Condition over `status`, `headers` (lower-case names), `response` (parsed body), e.g. "status = 404".'),
    action: ResponseAction,
    wait_until: Type.Optional(Expr('When to retry: epoch seconds, epoch ms or an ISO date, e.g. "headers.`x-ratelimit-reset`".')),
    wait_seconds: Type.Optional(Expr('How long to wait before retrying, in seconds, e.g. "$number(headers.`retry-after`)".')),
    message: Type.Optional(Template('Error message for action fail, e.g. "Repository {{ partition.repo }} not found".')),
    failure_type: Type.Optional(
      Type.Union([Type.Literal('config'), Type.Literal('system'), Type.Literal('transient')], {
        description:
          'For action fail: what kind of failure the TRACE error reports (failure_type config_error, system_error or transient_error). config: the user must fix the config or credential (a repository name that does not exist); transient: a later run may pass. Without it, system.',
      }),
    ),
  },
  { $id: 'ResponseRule', description: 'A rule applied to a response before the defaults. The first rule whose `when` is true wins.' },
);

export const RateLimit = Strict(
  {
    requests: Type.Integer({ minimum: 1, description: 'Requests allowed per window.' }),
    per: Type.Union([Type.Literal('second'), Type.Literal('minute'), Type.Literal('hour')], { description: 'The window.' }),
    scope: Type.Union([Type.Literal('connection'), Type.Literal('connector')], {
      default: 'connection',
      description: 'connection: a budget per connection (per credential); connector: one budget shared by all connections.',
    }),
    remaining_header: Type.Optional(Type.String({ description: 'Header with the requests left, e.g. "x-ratelimit-remaining".' })),
    reset_header: Type.Optional(Type.String({ description: 'Header with when the budget resets, e.g. "x-ratelimit-reset".' })),
    reset_format: Type.Union(
      [Type.Literal('epoch_seconds'), Type.Literal('epoch_ms'), Type.Literal('seconds'), Type.Literal('http_date')],
      { default: 'epoch_seconds', description: 'How the reset header is written: an instant, or seconds from now.' },
    ),
    pause_below: Type.Integer({ minimum: 0, default: 1, description: 'Pause until reset once the remaining count is below this.' }),
  },
  { $id: 'RateLimit', description: 'A declared request budget, plus proactive pausing from the API’s remaining/reset headers.' },
);

export const CircuitBreaker = Strict(
  {
    error_threshold_percentage: Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Open when this share of recent requests failed.' }),
    volume_threshold: Type.Integer({ minimum: 1, default: 10, description: 'Fewest requests in the window before the breaker may open.' }),
    rolling_window_ms: Type.Integer({ minimum: 100, default: 10000, description: 'Window over which failures are counted.' }),
    reset_timeout_ms: Type.Integer({ minimum: 1, default: 30000, description: 'After this long open, one probe request is let through (half-open).' }),
  },
  { $id: 'CircuitBreaker', description: 'A circuit breaker per connection: fail fast while the API is down.' },
);

export const Requester = Strict(
  {
    url_base: Template('Base URL of every request, e.g. "{{ config.base_url }}".'),
    headers: Type.Optional(TemplateMap('Headers sent with every request.')),
    params: Type.Optional(TemplateMap('Query parameters sent with every request.')),
    timeout_ms: Type.Integer({ minimum: 1, default: 30000, description: 'Timeout of one attempt.' }),
    retry: Type.Optional(Retry),
    on_response: Type.Optional(Type.Array(ResponseRule, { description: 'Response rules, tried in order before the defaults.' })),
    rate_limit: Type.Optional(RateLimit),
    circuit_breaker: Type.Optional(CircuitBreaker),
  },
  { $id: 'Requester', description: 'How requests are made: base URL, shared headers, retries, response rules, rate limits.' },
);

export const GraphQLRequest = Strict(
  {
    query: Type.String({ description: 'The GraphQL document. Never templated: put values in `variables`.' }),
    variables: Type.Optional(Type.Record(Type.String(), AnyJson('A variable value: templates inside strings are rendered.'))),
    operation_name: Type.Optional(Type.String()),
  },
  { $id: 'GraphQLRequest', description: 'A GraphQL POST: `errors` in a 200 response are errors.' },
);

export const Request = Strict(
  {
    method: Type.Union([Type.Literal('GET'), Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('DELETE')], { default: 'GET' }),
    path: Template('Path appended to `url_base`, e.g. "/repos/{{ partition.repo }}/pulls". May be a full URL.'),
    params: Type.Optional(TemplateMap('Query parameters. A template that renders to nothing drops the parameter.')),
    headers: Type.Optional(TemplateMap('Headers for this request.')),
    body: Type.Optional(AnyJson('JSON body; templates inside strings are rendered and keep their value types.')),
    graphql: Type.Optional(GraphQLRequest),
  },
  { $id: 'Request', description: 'One REST or GraphQL request.' },
);

export type RetryNode = Static<typeof Retry>;
export type ResponseRuleNode = Static<typeof ResponseRule>;
export type FailureTypeNode = NonNullable<ResponseRuleNode['failure_type']>;
export type RateLimitNode = Static<typeof RateLimit>;
export type CircuitBreakerNode = Static<typeof CircuitBreaker>;
export type RequesterNode = Static<typeof Requester>;
export type RequestNode = Static<typeof Request>;
export type GraphQLRequestNode = Static<typeof GraphQLRequest>;
