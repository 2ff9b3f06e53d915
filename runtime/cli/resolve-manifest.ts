import { isConnectorError } from '../errors/index.js';
import { loadManifest, type LoadedManifest } from '../manifest/index.js';
import { isManifestValidationError } from '../manifest/validation-error.js';

/**
 * The `<manifest>` argument of every command: a path to a YAML file, or the name of a bundled
 * manifest (`github` → manifests/github.yaml). Throws MANIFEST_NOT_FOUND or a ManifestValidationError.
 */
export function resolveManifestArg(arg: string): Promise<LoadedManifest> {
  return loadManifest(arg);
}

/** Lines to print for an error: one `file:line:col: message [CODE]` per manifest problem. */
export function errorLines(error: unknown): string[] {
  if (isManifestValidationError(error)) return error.problems.map((problem) => problem.format());
  if (isConnectorError(error)) return [error.format()];
  return [error instanceof Error ? error.message : String(error)];
}

/** Where a command writes; tests pass collectors, the CLI passes process streams. */
export interface CommandIO {
  stdout(line: string): void;
  stderr(line: string): void;
}

export const processIO: CommandIO = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};
