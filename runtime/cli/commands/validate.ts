import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { errorLines, processIO, resolveManifestArg, type CommandIO } from '../resolve-manifest.js';

/** Files named on the command line; a folder stands for the YAML files in it. */
function expand(args: readonly string[]): string[] {
  return args.flatMap((arg) => {
    try {
      if (statSync(arg).isDirectory()) {
        return readdirSync(arg)
          .filter((name) => /\.ya?ml$/.test(name))
          .sort()
          .map((name) => join(arg, name));
      }
    } catch {
      // not a folder (or missing): loading it reports the problem
    }
    return [arg];
  });
}

/**
 * `validate <files...>`: every problem as `file:line:col: message [CODE]` on stdout, `ok <file> (N
 * streams)` on stderr for each valid file. Returns the exit code: 1 when any file has a problem.
 */
export async function runValidate(files: readonly string[], io: CommandIO = processIO): Promise<number> {
  let failed = 0;
  for (const file of expand(files)) {
    try {
      const manifest = await resolveManifestArg(file);
      const count = Object.keys(manifest.node.streams).length;
      io.stderr(`ok ${manifest.file} (${count} stream${count === 1 ? '' : 's'})`);
    } catch (error) {
      failed++;
      for (const line of errorLines(error)) io.stdout(line);
    }
  }
  return failed > 0 ? 1 : 0;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check manifests: prints file:line:col: message per problem; exit 1 if any')
    .argument('<files...>', 'manifest files, folders of manifests, or names of bundled manifests')
    .action(async (files: string[]) => {
      process.exitCode = await runValidate(files);
    });
}
