import type { Command } from 'commander';

// Placeholder until the command is implemented (its owner replaces this file).
export function registerServe(program: Command): void {
  program.command('serve').description('(not implemented yet)').action(() => {
    process.stderr.write('serve: not implemented yet\n');
    process.exitCode = 2;
  });
}
