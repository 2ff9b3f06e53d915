import type { JsonSchema } from './json-schema.js';

/**
 * How the loader reads an `anyOf`: unions whose branches all fix `type` to a constant (auth,
 * pagination, signature...) are discriminated by the data's `type`; other unions pick the branch
 * whose JSON type matches the data. Used for defaults and for reporting one branch's errors only.
 */

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `type` constant of a discriminated branch, if it has one. */
export function discriminatorOf(branch: unknown): string | undefined {
  if (!isObject(branch) || !isObject(branch['properties'])) return undefined;
  const type = (branch['properties'] as JsonSchema)['type'];
  return isObject(type) && typeof type['const'] === 'string' ? type['const'] : undefined;
}

export function isDiscriminated(branches: readonly unknown[]): boolean {
  return branches.length > 0 && branches.every((branch) => discriminatorOf(branch) !== undefined);
}

/** Unions of literals (`Type.Union([Type.Literal('a'), ...])`): their allowed values. */
export function literalsOf(branches: readonly unknown[]): unknown[] | undefined {
  if (!branches.every((branch) => isObject(branch) && 'const' in branch)) return undefined;
  return branches.map((branch) => (branch as JsonSchema)['const']);
}

export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function typeMatches(schemaType: unknown, value: unknown): boolean {
  const actual = jsonTypeOf(value);
  const types = Array.isArray(schemaType) ? schemaType : [schemaType];
  return types.some((type) => {
    if (type === 'integer') return actual === 'number';
    return type === actual;
  });
}

/** Index of the branch that applies to `value`, or undefined when none does (unknown `type`, wrong kind of value). */
export function pickBranch(branches: readonly unknown[], value: unknown): number | undefined {
  if (isDiscriminated(branches)) {
    if (!isObject(value)) return undefined;
    const index = branches.findIndex((branch) => discriminatorOf(branch) === value['type']);
    return index === -1 ? undefined : index;
  }
  const candidates = branches
    .map((branch, index) => ({ branch, index }))
    .filter(({ branch }) => {
      if (!isObject(branch)) return false;
      if ('const' in branch) return branch['const'] === value;
      return branch['type'] === undefined || typeMatches(branch['type'], value);
    });
  if (candidates.length <= 1 || !isObject(value)) return candidates[0]?.index;
  // Several object shapes without a `type` (partitions: list or parent): the one whose keys fit best.
  let best = candidates[0];
  let bestScore = -Infinity;
  for (const candidate of candidates) {
    const score = fit(candidate.branch as JsonSchema, value);
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best?.index;
}

/** Keys of `value` the branch declares, minus required keys it lacks. */
function fit(branch: JsonSchema, value: JsonSchema): number {
  const properties = isObject(branch['properties']) ? branch['properties'] : {};
  const required = Array.isArray(branch['required']) ? (branch['required'] as string[]) : [];
  const known = Object.keys(value).filter((key) => key in properties).length;
  const missing = required.filter((key) => !(key in value)).length;
  return known - missing;
}
