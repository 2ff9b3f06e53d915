import type { ErrorObject, ValidateFunction } from 'ajv';
import { ConnectorError } from '../errors/index.js';
import { createSpecAjv } from '../manifest/ajv.js';
import { deepFreeze } from '../manifest/freeze.js';
import type { LoadedManifest } from '../manifest/loaded-manifest.js';
import { suggestion } from '../manifest/levenshtein.js';
import { expandEnv, type Env } from './env.js';
import { isSecretSchema } from './secret-values.js';
import { strictSpec } from './strict-spec.js';

export interface ResolveConfigOptions {
  /** Where `${VAR}` values come from (default: process.env). */
  env?: Env;
  /** The config file, for error locations. */
  file?: string;
}

const validators = new WeakMap<object, ValidateFunction>();

function specValidator(spec: object): ValidateFunction {
  let validate = validators.get(spec);
  if (!validate) {
    // A fresh (strict) copy: ajv may annotate the schema object, and the manifest is frozen.
    validate = createSpecAjv().compile(strictSpec(spec));
    validators.set(spec, validate);
  }
  return validate;
}

/**
 * A connection config, ready to use: `${VAR}` references expanded, checked against the manifest's
 * `spec` (defaults applied, strings like "10" coerced to the declared type), frozen. Errors name the
 * config key and the fix; a secret's value is never printed.
 */
export function resolveConfig(raw: unknown, manifest: LoadedManifest, options: ResolveConfigOptions = {}): Readonly<Record<string, unknown>> {
  const where = options.file === undefined ? {} : { file: options.file };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConnectorError('CONFIG_INVALID', `config must be a JSON object, got ${Array.isArray(raw) ? 'a list' : raw === null ? 'null' : typeof raw}`, {
      location: where,
      hint: 'Write the config as { "key": value, ... } with the keys of the manifest spec.',
    });
  }
  const config = expandEnv(raw, options.env ?? process.env, options.file) as Record<string, unknown>;
  const validate = specValidator(manifest.node.spec as object);
  if (!validate(config)) {
    const problems = (validate.errors ?? []).map(describeError);
    const first = validate.errors?.[0];
    const unknownKey = validate.errors?.some((error) => error.keyword === 'additionalProperties') ?? false;
    throw new ConnectorError('CONFIG_INVALID', `config does not match the ${manifest.node.name} spec: ${problems.join('; ')}`, {
      location: { ...where, path: first ? configPath(first) : 'config' },
      hint: `Fix the config value${problems.length > 1 ? 's' : ''} named above${unknownKey ? ' (a key the spec does not declare is refused: correct its spelling or remove it)' : ''} (\`gwi-connectors spec ${manifest.node.name}\` prints the full schema).`,
      context: { problems },
    });
  }
  return deepFreeze(config);
}

function configPath(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') segments.push(String(error.params['missingProperty']));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params['additionalProperty']));
  return ['config', ...segments].join('.');
}

/** One problem, with the value only when the field is not secret (and short). */
function describeError(error: ErrorObject): string {
  const path = configPath(error);
  switch (error.keyword) {
    case 'required':
      return `${path} is required`;
    case 'additionalProperties': {
      const declared = error.parentSchema?.['properties'] as Record<string, unknown> | undefined;
      const keys = Object.keys(declared ?? {});
      const known = keys.length > 0 ? ` (known: ${keys.join(', ')})` : '';
      return `${path} is not a known config key${suggestion(String(error.params['additionalProperty']), keys)}${known}`;
    }
    default: {
      const secret = isSecretSchema(error.parentSchema) || isSecretSchema(error.schema);
      const shown = secret ? '' : `, got ${preview(error.data)}`;
      return `${path} ${error.message ?? 'is invalid'}${shown}`;
    }
  }
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
