/**
 * The CLI with only the `read` command registered: what `node dist/runtime/cli/main.js read` would
 * cost if main.ts imported each command's module lazily (today it imports every command, so `read`
 * also loads the server, Pub/Sub, SQLite and conformance code). Used by `--engine cli-read`.
 *
 * argv: <repo root> read <manifest> --config <file>.
 */
import type { Command as CommandClass } from 'commander';
import type * as ReadModule from '../../runtime/cli/commands/read.js';

const root = process.argv[2] as string;
const { Command } = (await import('commander')) as { Command: typeof CommandClass };
const { registerRead } = (await import(`${root}/dist/runtime/cli/commands/read.js`)) as typeof ReadModule;
const program = new Command('gwi-connectors');
registerRead(program);
await program.parseAsync([process.argv[0] as string, process.argv[1] as string, ...process.argv.slice(3)]);
