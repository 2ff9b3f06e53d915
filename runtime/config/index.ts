export { resolveConfig } from './resolve.js';
export type { ResolveConfigOptions } from './resolve.js';
export { expandEnv } from './env.js';
export type { Env } from './env.js';
export { readJsonFile } from './read-json.js';
export { isMarkedSecret, isSecretSchema, secretPaths, secretValues, valuesAt } from './secret-values.js';
export type { SecretPath } from './secret-values.js';
