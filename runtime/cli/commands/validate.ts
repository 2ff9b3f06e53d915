import type { Command } from 'commander';

// Placeholder until the command is implemented (its owner replaces this file).
export function registerValidate(program: Command): void {
  program.command('validate').description('(not implemented yet)').action(() => {
    process.stderr.write('validate: not implemented yet\n');
    process.exitCode = 2;
  });
}
