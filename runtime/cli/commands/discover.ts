import type { Command } from 'commander';

// Placeholder until the command is implemented (its owner replaces this file).
export function registerDiscover(program: Command): void {
  program.command('discover').description('(not implemented yet)').action(() => {
    process.stderr.write('discover: not implemented yet\n');
    process.exitCode = 2;
  });
}
