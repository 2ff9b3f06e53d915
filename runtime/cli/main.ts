#!/usr/bin/env node
import { Command } from 'commander';
import { registerCheck } from './commands/check.js';
import { registerDiscover } from './commands/discover.js';
import { registerRead } from './commands/read.js';
import { registerServe } from './commands/serve.js';
import { registerSpec } from './commands/spec.js';
import { registerTest } from './commands/test.js';
import { registerValidate } from './commands/validate.js';

/** The `gwi-connectors` command line. Each command lives in commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command('gwi-connectors')
    .description('Declarative connector runtime: validate, spec, check, discover, read, serve, test')
    .showHelpAfterError();
  for (const register of [registerValidate, registerSpec, registerCheck, registerDiscover, registerRead, registerServe, registerTest]) {
    register(program);
  }
  return program;
}

await buildProgram().parseAsync(process.argv);
