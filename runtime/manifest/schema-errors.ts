import type { ErrorObject } from 'ajv';
import { ConnectorError } from '../errors/index.js';
import type { JsonSchema } from './json-schema.js';
import { suggestion } from './levenshtein.js';
import { EXPR_KEYWORD } from './schema-helpers.js';
import { formatPath, type Path, type SourceMap } from './source-map.js';
import { discriminatorOf, isDiscriminated, jsonTypeOf, literalsOf, pickBranch } from './unions.js';

/**
 * Turns ajv's errors into one clear problem per mistake. For a union, only the errors of the branch
 * that applies are kept (the one whose `type` matches, or whose JSON type matches the value); when no
 * branch applies, one message says what was expected. Never a wall of anyOf errors.
 */
export function schemaProblems(errors: readonly ErrorObject[], root: unknown, source: SourceMap, broken: readonly string[]): ConnectorError[] {
  const decisions = errors
    .filter((error) => error.keyword === 'anyOf')
    .map((error) => ({ error, prefix: `${error.schemaPath}/`, chosen: pickBranch(error.schema as unknown[], error.data) }));

  const inDroppedBranch = (error: ErrorObject): boolean =>
    decisions.some(({ prefix, chosen }) => {
      if (!error.schemaPath.startsWith(prefix)) return false;
      const branch = Number(error.schemaPath.slice(prefix.length).split('/')[0]);
      return branch !== chosen;
    });

  const kept = errors.filter((error) => {
    if (inDroppedBranch(error)) return false;
    if (error.keyword !== 'anyOf') return true;
    // An anyOf whose chosen branch has its own errors is explained by them.
    const decision = decisions.find((d) => d.error === error);
    if (decision?.chosen === undefined) return true;
    return !errors.some((other) => other !== error && other.schemaPath.startsWith(`${decision.prefix}${decision.chosen}/`));
  });

  const problems: ConnectorError[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const path = toPath(error.instancePath, root);
    if (broken.some((prefix) => isUnder(formatPath(path), prefix))) continue;
    const problem = toProblem(error, path, root, source);
    const key = problem.format();
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** JSON pointer → path segments, numbers where the container is a list. */
function toPath(pointer: string, root: unknown): Path {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(current) ? Number(segment) : segment;
    out.push(key);
    current = typeof current === 'object' && current !== null ? (current as Record<string | number, unknown>)[key] : undefined;
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function typeName(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ');
}

/** A short, quoted picture of a value for messages. */
export function describe(value: unknown): string {
  switch (jsonTypeOf(value)) {
    case 'string': {
      const text = value as string;
      return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
    }
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    case 'undefined':
      return 'nothing';
    default:
      return String(value);
  }
}

function quoteAll(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

function toProblem(error: ErrorObject, path: Path, root: unknown, source: SourceMap): ConnectorError {
  const where = formatPath(path) || 'the manifest';
  const parent = (error.parentSchema ?? {}) as JsonSchema;
  // The key's own description tells the reader what the value is for: it is the hint.
  // ...named by its key, unless the key is a free name (a stream name in `streams`).
  const named = !/\/patternProperties\/[^/]+\/[^/]+$/.test(error.schemaPath);
  const lastKey = named ? path[path.length - 1] : undefined;
  const description =
    typeof parent['description'] === 'string' ? `${typeof lastKey === 'string' ? `${lastKey}: ` : ''}${parent['description'] as string}` : undefined;
  const at = (p: Path, part: 'key' | 'value' = 'value') => source.locate(root, p, part);
  const schemaError = (message: string, location = at(path), hint: string | null | undefined = description) =>
    new ConnectorError('MANIFEST_SCHEMA', message, hint == null ? { location } : { location, hint });

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params['additionalProperty']);
      const keyPath = [...path, key];
      const properties = parent['properties'] as JsonSchema | undefined;
      const patterns = parent['patternProperties'] as JsonSchema | undefined;
      if (!properties && patterns) {
        const pattern = Object.keys(patterns)[0] ?? '';
        return schemaError(`name ${JSON.stringify(key)} in ${where} must match ${pattern}`, at(keyPath, 'key'), 'Use lower-case letters, digits and underscores, starting with a letter.');
      }
      const allowed = Object.keys(properties ?? {});
      const inWhere = path.length === 0 ? 'at the top level' : `in ${where}`;
      return schemaError(
        `unknown key ${JSON.stringify(key)} ${inWhere}${suggestion(key, allowed)}`,
        at(keyPath, 'key'),
        allowed.length > 0 ? `Allowed keys: ${allowed.join(', ')}.` : undefined,
      );
    }
    case 'required': {
      const key = String(error.params['missingProperty']);
      const property = (parent['properties'] as JsonSchema | undefined)?.[key] as JsonSchema | undefined;
      const hint = typeof property?.['description'] === 'string' ? `Add \`${key}:\` (${property['description'].replace(/\.$/, '')}).` : undefined;
      return schemaError(`${where} is missing required key ${JSON.stringify(key)}`, at(path), hint);
    }
    case 'type':
      return schemaError(
        `${where} must be ${typeName(error.params['type'])}, got ${describe(error.data)}`,
        at(path),
        typeof error.data === 'string' && error.data.includes('{{') ? 'This key takes a literal value, not a template.' : description,
      );
    case 'anyOf':
      return unionProblem(error, where, at(path), schemaError);
    case 'const':
    case 'enum': {
      const allowed = error.keyword === 'const' ? [error.params['allowedValue']] : (error.params['allowedValues'] as unknown[]);
      const got = typeof error.data === 'string' ? suggestion(error.data, allowed.map(String)) : '';
      return schemaError(`${where} must be ${allowed.length === 1 ? '' : 'one of '}${quoteAll(allowed)}, got ${describe(error.data)}${got}`);
    }
    case 'pattern':
      return schemaError(`${where} must match ${String(error.params['pattern'])}, got ${describe(error.data)}`);
    case EXPR_KEYWORD: {
      // Bare expressions: point at the offending character (templates: at the string).
      const position = error.params['position'];
      const exact = error.params['kind'] === 'expression' && typeof position === 'number';
      return new ConnectorError('MANIFEST_EXPRESSION', `${where}: ${error.message ?? 'invalid expression'}`, {
        location: exact ? source.locateWithin(root, path, Math.max(0, position - 1)) : at(path),
        hint: 'Fix the expression (JSONata: https://docs.jsonata.org; try it at https://try.jsonata.org).',
      });
    }
    default:
      return schemaError(`${where} ${error.message ?? 'is invalid'}, got ${describe(error.data)}`);
  }
}

const REFERENCE_HINT = 'docs/manifest-reference.md lists each choice and its keys.';

function unionProblem(
  error: ErrorObject,
  where: string,
  location: ReturnType<SourceMap['locate']>,
  schemaError: (message: string, location?: ReturnType<SourceMap['locate']>, hint?: string | null) => ConnectorError,
): ConnectorError {
  const branches = error.schema as unknown[];
  const data = error.data;
  if (isDiscriminated(branches)) {
    const types = branches.map(discriminatorOf).filter((t): t is string => t !== undefined);
    const expected = `expected one of ${types.join(', ')}`;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      const fix = typeof data === 'string' && types.includes(data) ? `Write it as { type: ${data} }.` : REFERENCE_HINT;
      return schemaError(`${where} must be a mapping with a "type", got ${describe(data)}; ${expected}`, location, fix);
    }
    const type = (data as Record<string, unknown>)['type'];
    if (type === undefined) return schemaError(`${where} is missing required key "type"; ${expected}`, location, REFERENCE_HINT);
    const hint = typeof type === 'string' ? suggestion(type, types) : '';
    return schemaError(`unknown type ${JSON.stringify(type)} at ${where}; ${expected}${hint}`, location, REFERENCE_HINT);
  }
  const literals = literalsOf(branches);
  if (literals) {
    const hint = typeof data === 'string' ? suggestion(data, literals.map(String)) : '';
    return schemaError(`${where} must be one of ${quoteAll(literals)}, got ${describe(data)}${hint}`, location);
  }
  const kinds = [...new Set(branches.map((branch) => typeName((branch as JsonSchema)['type'] ?? 'object')))];
  return schemaError(`${where} must be ${kinds.join(' or ')}, got ${describe(data)}`, location, REFERENCE_HINT);
}
