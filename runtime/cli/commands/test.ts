import type { Command } from 'commander';

// Placeholder until the command is implemented (its owner replaces this file).
export function registerTest(program: Command): void {
  program.command('test').description('(not implemented yet)').action(() => {
    process.stderr.write('test: not implemented yet\n');
    process.exitCode = 2;
  });
}
