import type { Command } from 'commander';

// Placeholder until the command is implemented (its owner replaces this file).
export function registerSpec(program: Command): void {
  program.command('spec').description('(not implemented yet)').action(() => {
    process.stderr.write('spec: not implemented yet\n');
    process.exitCode = 2;
  });
}
