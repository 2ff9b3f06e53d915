import { Type, type Static } from '@sinclair/typebox';
import { Auth } from '../auth/schema.js';
import { Request, Requester } from '../http/schema.js';
import { Incremental } from '../incremental/schema.js';
import { Pagination } from '../pagination/schema.js';
import { Partitions } from '../partitions/schema.js';
import { recordKeys } from '../records/schema.js';
import { Webhooks } from '../webhooks/schema.js';
import { AnyJson, Strict, Template } from './schema-helpers.js';

/**
 * The manifest language. This file assembles the fragments that live beside the code that interprets
 * them; `npm run gen` writes schemas/manifest.schema.json from it and a test keeps the file current.
 */

const KeyPath = Type.String({ description: 'A field name, or a dotted path into nested fields ("pull_request.updated_at").' });

export const Stream = Strict(
  {
    description: Type.Optional(Type.String()),
    primary_key: Type.Union([KeyPath, Type.Array(KeyPath, { minItems: 1 })], { description: 'Field(s) that identify a record.' }),
    cursor_field: Type.Optional(KeyPath),
    schema: AnyJson('JSON Schema of one (mapped) record.'),
    partitions: Type.Optional(Partitions),
    request: Request,
    pagination: Type.Optional(Pagination),
    ...recordKeys,
    incremental: Type.Optional(Incremental),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, description: 'Partitions read at once (default: the manifest’s `concurrency`).' })),
  },
  { $id: 'Stream', description: 'One stream of records: where they come from and what they look like.' },
);

export const Check = Strict(
  {
    path: Type.Optional(Template('A path to GET to prove the credentials work, e.g. "/user".')),
    stream: Type.Optional(Type.String({ description: 'Or: read the first page of this stream.' })),
    message: Type.Optional(Template('Shown when the check fails, to name the credential and its required scopes.')),
  },
  { $id: 'Check', description: 'How `check` proves a connection works.' },
);

export const HealthCheck = Strict(
  {
    path: Template('Path probed by the service’s health check.'),
    expected_status: Type.Integer({ default: 200 }),
    timeout_seconds: Type.Number({ minimum: 0, default: 5 }),
  },
  { $id: 'HealthCheck', description: 'The service’s periodic reachability probe.' },
);

export const Manifest = Strict(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'The connector name: lower-case letters, digits and dashes.' }),
    version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+', description: 'Semantic version of the manifest.' }),
    description: Type.Optional(Type.String()),
    documentation_url: Type.Optional(Type.String()),
    spec: AnyJson('JSON Schema of a connection’s config. Mark secrets with `secret: true`; give defaults with `default`.'),
    definitions: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Reusable fragments, referenced with `$ref: "#/definitions/<name>"`.' })),
    auth: Type.Optional(Auth),
    requester: Requester,
    check: Type.Optional(Check),
    streams: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), Stream, { description: 'The streams, by name.', additionalProperties: false }),
    concurrency: Type.Integer({ minimum: 1, default: 4, description: 'Partitions read at once per stream.' }),
    webhooks: Type.Optional(Webhooks),
    health_check: Type.Optional(HealthCheck),
    custom: Type.Optional(Type.String({ description: 'Name of a custom component in custom/ that extends this connector.' })),
  },
  { $id: 'Manifest', title: 'Connector manifest', description: 'A declarative connector.' },
);

export type ManifestNode = Static<typeof Manifest>;
export type StreamNode = Static<typeof Stream>;
export type CheckNode = Static<typeof Check>;
export type HealthCheckNode = Static<typeof HealthCheck>;
