import type { ErrorObject, ValidateFunction } from 'ajv';
import { ConnectorError } from '../errors/index.js';
import { createSpecAjv } from '../manifest/ajv.js';
import { deepFreeze } from '../manifest/freeze.js';
import type { LoadedManifest } from '../manifest/loaded-manifest.js';
import { suggestion } from '../manifest/levenshtein.js';
import { createRedactor } from '../secrets/redact.js';
import { expandEnv, type Env, type OnEmptyVariable } from './env.js';
import { isSecretSchema, secretValues } from './secret-values.js';
import { isSchemaObject, localRefTarget } from './spec-refs.js';
import { strictSpec } from './strict-spec.js';

export interface ResolveConfigOptions {
  /** Where `${VAR}` values come from (default: process.env). */
  env?: Env;
  /** The config file, for error locations. */
  file?: string;
  /** Told of each `${VAR}` set to the empty string (it expands to ""): the caller warns, naming the key. */
  onEmptyVariable?: OnEmptyVariable;
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
  const config = expandEnv(raw, options.env ?? process.env, options.file, options.onEmptyVariable) as Record<string, unknown>;
  const validate = specValidator(manifest.node.spec as object);
  if (!validate(config)) {
    const errors = foldAlternatives(validate.errors ?? []);
    // Values are shown only at leaves no secret mark covers (describeError); the redactor is the
    // second line, for a secret's value given to a key that is not secret as well. It masks the
    // values shown, not the whole message: a short secret ("t") would mangle the key names.
    const redact = createRedactor(secretValues(manifest.node.spec, config));
    const problems = errors.map((error) => describeError(error, validate.schema, redact));
    const first = errors[0];
    const unknownKey = errors.some((error) => error.keyword === 'additionalProperties');
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

/** The keys an `anyOf`/`oneOf` branch requires, when requiring keys is all the branch does. */
function requiredOnly(branch: unknown): string[] | undefined {
  if (!isSchemaObject(branch)) return undefined;
  const required = branch['required'];
  const quiet = Object.keys(branch).every((key) => key === 'required' || key === 'title' || key === 'description' || key === '$comment');
  return quiet && Array.isArray(required) && required.length > 0 && required.every((key) => typeof key === 'string') ? required : undefined;
}

/** Each alternative of an `anyOf`/`oneOf` of required-only branches (`config.token`, `config.a and config.b`), or undefined. */
function alternatives(error: ErrorObject): string[] | undefined {
  if ((error.keyword !== 'anyOf' && error.keyword !== 'oneOf') || !Array.isArray(error.schema) || error.schema.length < 2) return undefined;
  const branches = error.schema.map(requiredOnly);
  if (branches.some((keys) => keys === undefined)) return undefined;
  const base = configPath(error);
  return (branches as string[][]).map((keys) => keys.map((key) => `${base}.${key}`).join(' and '));
}

/**
 * "One of token, oauth or app" is written as an `anyOf` of branches that each only require a key.
 * ajv reports each branch's missing key and then the `anyOf`, which reads as "all three are
 * required": such a group becomes one error (keyword `alternatives`) and its branch errors go.
 */
function foldAlternatives(errors: readonly ErrorObject[]): ErrorObject[] {
  const groups = errors.flatMap((error) => {
    const said = alternatives(error);
    return said ? [{ error, said }] : [];
  });
  if (groups.length === 0) return [...errors];
  const inGroup = (error: ErrorObject) => groups.some(({ error: group }) => error !== group && error.schemaPath.startsWith(`${group.schemaPath}/`));
  return errors.filter((error) => !inGroup(error)).map((error) => {
    const group = groups.find((g) => g.error === error);
    if (!group) return error;
    const several = error.keyword === 'oneOf' && Array.isArray(error.params['passingSchemas']);
    return { ...error, keyword: 'alternatives', params: { said: group.said, several } };
  });
}

/** "a, b or c". */
const orList = (items: readonly string[]): string => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`);

/**
 * One problem. A value is shown only when it is a scalar and its spec node holds no secret mark
 * (itself, or below: a string where an object of secrets belongs may be the secret); an object or a
 * list is named by its type, since it may hold secrets.
 */
function describeError(error: ErrorObject, root: unknown, redact: (text: string) => string): string {
  const path = configPath(error);
  switch (error.keyword) {
    case 'required':
      return `${path} is required`;
    case 'alternatives': {
      const said = error.params['said'] as string[];
      return error.params['several'] === true ? `give only one of ${orList(said)}, not several` : `give one of ${orList(said)}`;
    }
    case 'additionalProperties': {
      const declared = error.parentSchema?.['properties'] as Record<string, unknown> | undefined;
      const keys = Object.keys(declared ?? {});
      const known = keys.length > 0 ? ` (known: ${keys.join(', ')})` : '';
      return `${path} is not a known config key${suggestion(String(error.params['additionalProperty']), keys)}${known}`;
    }
    default:
      return `${path} ${error.message ?? 'is invalid'}${shown(error, root, redact)}`;
  }
}

function shown(error: ErrorObject, root: unknown, redact: (text: string) => string): string {
  const data: unknown = error.data;
  if (typeof data === 'object' && data !== null) return `, got ${Array.isArray(data) ? 'a list' : 'an object'}`;
  if (holdsSecret(error.parentSchema, root) || isSecretSchema(error.schema)) return error.keyword === 'type' ? `, got ${data === null ? 'null' : `a ${typeof data}`}` : '';
  return `, got ${preview(data, redact)}`;
}

/** Whether a spec node, or any node below it (local `$ref`s followed), is marked secret. */
function holdsSecret(node: unknown, root: unknown, seen = new Set<unknown>()): boolean {
  if (typeof node !== 'object' || node === null || seen.has(node)) return false;
  seen.add(node);
  if (isSecretSchema(node)) return true;
  if (isSchemaObject(node) && holdsSecret(localRefTarget(root, node['$ref']), root, seen)) return true;
  return Object.values(node).some((child) => holdsSecret(child, root, seen));
}

/** The value as JSON, secrets masked before it is cut (a cut secret would no longer be found). */
function preview(value: unknown, redact: (text: string) => string): string {
  const text = redact(JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
