#!/usr/bin/env -S node --heap-growing-percent=100
import { Command } from 'commander';

// The shebang's flag holds `read`'s peak memory under 200 MB (docs/performance.md, Sync). It used to
// shrink the young generation too (--max-semi-space-size=4), which made `serve` through this bin
// answer 10-20 % fewer webhooks a second than `npm start`; without it `read` peaks at ~155 MB.

type Register = (program: Command) => void;

/**
 * Each command lives in commands/<name>.ts. They are imported on demand: `read` should not pay for
 * loading Fastify, SQLite and the conformance suite (about 30 MB of resident memory and start-up
 * time), so only the command being run is loaded; help and unknown commands load them all.
 */
const commands: Record<string, () => Promise<Register>> = {
  validate: async () => (await import('./commands/validate.js')).registerValidate,
  spec: async () => (await import('./commands/spec.js')).registerSpec,
  check: async () => (await import('./commands/check.js')).registerCheck,
  discover: async () => (await import('./commands/discover.js')).registerDiscover,
  read: async () => (await import('./commands/read.js')).registerRead,
  serve: async () => (await import('./commands/serve.js')).registerServe,
  worker: async () => (await import('./commands/worker.js')).registerWorker,
  test: async () => (await import('./commands/test.js')).registerTest,
};

/** The `gwi-connectors` command line, with the commands `argv` needs registered. */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('gwi-connectors')
    .description('Declarative connector runtime: validate, spec, check, discover, read, test, serve, worker')
    .showHelpAfterError();
  const requested = argv[2];
  const names = requested !== undefined && requested in commands ? [requested] : Object.keys(commands);
  for (const name of names) (await commands[name]!())(program);
  return program;
}

await (await buildProgram()).parseAsync(process.argv);
