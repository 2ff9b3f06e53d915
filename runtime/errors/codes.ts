/**
 * The error catalogue: every code the runtime raises, what it means and how to fix it.
 * docs/troubleshooting.md renders this table; a test keeps the two in step.
 */
export const ERROR_CODES = {
  MANIFEST_NOT_FOUND: { meaning: 'The manifest file or name does not exist.', fix: 'Pass a path to a YAML file or the name of a manifest in manifests/.' },
  MANIFEST_YAML_SYNTAX: { meaning: 'The manifest is not valid YAML.', fix: 'Fix the YAML syntax at the position shown.' },
  MANIFEST_SCHEMA: { meaning: 'A manifest key is unknown, missing or of the wrong type.', fix: 'Follow the message; docs/manifest-reference.md lists every key.' },
  MANIFEST_REF: { meaning: 'A `$ref` points at nothing or forms a cycle.', fix: 'Use `$ref: "#/definitions/<name>"` with a name defined under `definitions`.' },
  MANIFEST_EXPRESSION: { meaning: 'A JSONata expression or `{{ }}` template does not compile.', fix: 'Fix the expression; try it at https://try.jsonata.org.' },
  MANIFEST_REFERENCE: { meaning: 'A stream, parent or event refers to something the manifest does not define.', fix: 'Use a name defined under `streams`.' },
  CONFIG_INVALID: { meaning: 'The connection config does not match the manifest `spec`.', fix: 'Fix the config value named in the message.' },
  CONFIG_ENV_MISSING: { meaning: 'The config references an environment variable that is not set.', fix: 'Export the variable or remove the `${VAR}` reference.' },
  SYNC_RUNNING: { meaning: 'The connection cannot be removed while a sync of it runs.', fix: 'Wait for the run to end (GET /api/runs/:id), then remove the connection.' },
  CONNECTION_FROM_FILE: { meaning: 'The admin API was asked to change a connection that the connections file defines (the file wins at every start, so the change would be lost).', fix: 'Edit the entry in the connections file and restart, or post the connection under another id.' },
  CONFIG_FILE: { meaning: 'A config, catalog, state or connections file cannot be read or parsed.', fix: 'Check the path, and the syntax at the position shown (JSON, or YAML for the connections file).' },
  EXPRESSION_EVALUATION: { meaning: 'An expression failed while evaluating.', fix: 'Check the expression against the data shown in the message.' },
  AUTH_INVALID_CREDENTIALS: { meaning: 'The API answered 401/403: the credential is missing, wrong or lacks a permission.', fix: 'Fix the credential named in the message.' },
  AUTH_TOKEN_REFRESH: { meaning: 'Refreshing or minting an access token failed.', fix: 'Check the client id/secret, refresh token or app private key.' },
  HTTP_STATUS: { meaning: 'The API answered with an error status the manifest does not handle.', fix: 'Add an `on_response` rule or fix the request.' },
  HTTP_TIMEOUT: { meaning: 'A request took longer than `requester.timeout_ms`.', fix: 'Raise the timeout or check the API.' },
  HTTP_NETWORK: { meaning: 'The connection failed (reset, refused, DNS).', fix: 'Check the URL base and the network.' },
  HTTP_BODY: { meaning: 'The response body is not the JSON the manifest expects.', fix: 'Check the endpoint and `records` selector.' },
  HTTP_RETRIES_EXHAUSTED: { meaning: 'Retries ran out (attempt or total-wait cap).', fix: 'Raise `requester.retry` caps or wait for the API to recover.' },
  RATE_LIMITED: { meaning: 'The API rate limit was hit and the wait exceeds what retry allows.', fix: 'Lower the request rate or raise `retry.max_total_wait_ms`.' },
  CIRCUIT_OPEN: { meaning: 'Too many recent requests failed; the circuit breaker fails fast.', fix: 'Read the last failure and the origin in the message: a network error (ECONNREFUSED, bad port) means a wrong base_url or no route to the API; an HTTP status means the API is failing, so wait: the breaker probes again after its reset timeout.' },
  GRAPHQL_ERRORS: { meaning: 'A GraphQL response carried `errors`.', fix: 'Fix the query or its variables as the message says.' },
  PAGINATION_LOOP: { meaning: 'The API returned the same next-page token twice.', fix: 'Check the pagination `token` expression; the API may ignore the injected parameter.' },
  PAGINATION_MAX_PAGES: { meaning: 'A stream partition reached `pagination.max_pages`.', fix: 'Raise `max_pages` if the data really is that large.' },
  MAPPING_FAILED: { meaning: 'A `records`, `filter` or `map` expression failed on a record.', fix: 'Check the expression against the record shown.' },
  RECORD_PRIMARY_KEY: { meaning: 'A mapped record has no value for its primary key.', fix: 'Make `map` keep the primary key field.' },
  STATE_INVALID: { meaning: 'The state input is not in a recognised shape.', fix: 'Pass the last STATE messages emitted by `read`, or none.' },
  CATALOG_INVALID: { meaning: 'The configured catalog names streams the manifest lacks.', fix: 'Use `discover` to list the streams.' },
  WEBHOOK_SIGNATURE_MISMATCH: { meaning: 'The webhook signature does not match the body.', fix: 'Check the webhook secret configured at the provider and in the connection.' },
  WEBHOOK_SIGNATURE_MISSING: { meaning: 'The webhook request lacks the signature header.', fix: 'Configure a secret for the webhook at the provider.' },
  WEBHOOK_TIMESTAMP: { meaning: 'The webhook timestamp is outside the tolerance window (replay).', fix: 'Check the clocks; replayed deliveries are refused.' },
  WEBHOOK_MISCONFIGURED: {
    meaning: 'The connection has no secret for this webhook rule, or one of its connector\'s `webhooks.handshakes` expressions failed on a request.',
    fix: 'Set the config key the message names (e.g. config.webhook_secret) for this connection; for a handshake, fix the expression the service log names.',
  },
  WEBHOOK_BODY: { meaning: 'The webhook body is malformed or too large.', fix: 'Send JSON or form-encoded bodies within the size limit.' },
  SERVER_BUSY: {
    meaning: 'Webhook bodies being received already fill the memory set aside for them (serve --upload-buffer-mb, 256 MiB by default): a new one is refused (before or while it is read; nothing of it is stored) rather than risk running out of memory.',
    fix: 'Retry in a few seconds. If legitimate traffic meets this, raise --upload-buffer-mb (GWI_UPLOAD_BUFFER_MB); if slow or stalled uploads fill it, put a proxy that buffers whole requests in front.',
  },
  SHUTTING_DOWN: {
    meaning: 'The service is shutting down (SIGTERM): it finishes the requests it has and refuses new ones, unread.',
    fix: 'Retry the request: a load balancer sends it to another instance, or this one takes it once restarted. Providers that retry do so by themselves; redeliver GitHub and GitLab webhooks.',
  },
  STORE_UNAVAILABLE: { meaning: 'The durable store cannot be written.', fix: 'Check the data directory (disk, permissions).' },
  STORE_IN_USE: {
    meaning: 'Another process writes webhook deliveries to this data directory (it holds gwi.db-inbox.lock). Dedupe keys live in the one writer\'s memory, so a data directory has one writer.',
    fix: 'Stop the other gwi-connectors serve or worker, or give this one its own --data directory.',
  },
  STORE_VERSION: {
    meaning: 'The database in the data directory was written by a newer release of gwi-connectors (its schema version is higher than this release knows).',
    fix: 'Run the newer release on this data directory (releases upgrade the schema, never downgrade it), give this one its own --data directory, or restore a backup of gwi.db made before the upgrade.',
  },
  STORE_FOREIGN: {
    meaning: 'The gwi.db in the data directory is not a gwi-connectors database: not SQLite at all, or another application\'s (its application_id or its tables say so). It is left as it is.',
    fix: 'Give gwi-connectors a data directory of its own (--data, GWI_DATA_DIR), or move that gwi.db away; gwi-connectors creates its database where there is none.',
  },
  SECRET_KEY_INVALID: { meaning: 'The secret-encryption key (GWI_SECRET_KEY or data-dir secret.key) is missing, unreadable or not 32 bytes.', fix: 'Set GWI_SECRET_KEY to 32 random bytes in base64 or hex, or fix the key file permissions.' },
  SECRET_DECRYPT: { meaning: 'A stored secret cannot be decrypted: it was modified, sealed with another key, or copied from another connection or field.', fix: 'Restore the key it was stored with, or set the secret again.' },
  CONNECTION_UNAVAILABLE: {
    meaning: 'The connection is stored but not running: its sealed secrets cannot be opened (another secret key, or a sealed value modified or copied from another connection or field), or what an earlier release stored for it is not valid in this one (a schedule refused now, a connector no longer installed). Its webhooks are answered 503 (providers that retry will), and it does not sync.',
    fix: 'Restore the key its secrets were sealed with (GWI_SECRET_KEY or <data>/secret.key) and restart, or POST the connection again with its config (and a valid schedule): that seals its secrets with the current key.',
  },
  REPLAY_ON_WORKERS: {
    meaning: 'A replay asked of a receiver without dispatch (--no-dispatch) for a delivery it already handed to the Pub/Sub workers.',
    fix: "Replay it from the workers' dead-letter topic (<prefix>connector-webhooks-<connector>-dead-hold), see docs/service.md.",
  },
  SCHEDULE_INVALID: { meaning: 'A connection schedule is neither an interval ("every 5m") nor a valid cron expression.', fix: 'Use "every <n>s|m|h|d" or a 5/6-field cron expression such as "0 */6 * * *".' },
  BUS_PUBLISH: { meaning: 'Publishing to Google Cloud Pub/Sub failed or was not confirmed.', fix: 'Check the Pub/Sub project, credentials (roles/pubsub.publisher) and network; with --no-create-topics, create the topic the message names. The delivery was not acknowledged and the provider will retry.' },
  BUS_CONFIG: { meaning: 'The Pub/Sub bus is misconfigured (project, topic, subscription or body store).', fix: 'Set the project id (GWI_PUBSUB_PROJECT or --bus-project) and check the names in the message.' },
  CUSTOM_NOT_FOUND: { meaning: 'The manifest names a custom component that is not registered.', fix: 'Register it in custom/ or fix the name.' },
} as const satisfies Record<string, { meaning: string; fix: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
