import type { Command } from 'commander';

// Placeholder until the command is implemented (its owner replaces this file).
export function registerCheck(program: Command): void {
  program.command('check').description('(not implemented yet)').action(() => {
    process.stderr.write('check: not implemented yet\n');
    process.exitCode = 2;
  });
}
