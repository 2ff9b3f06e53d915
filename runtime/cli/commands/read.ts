import type { Command } from 'commander';

// Placeholder until the command is implemented (its owner replaces this file).
export function registerRead(program: Command): void {
  program.command('read').description('(not implemented yet)').action(() => {
    process.stderr.write('read: not implemented yet\n');
    process.exitCode = 2;
  });
}
