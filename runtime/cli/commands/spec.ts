import type { Command } from 'commander';
import type { LoadedManifest } from '../../manifest/index.js';
import type { AirbyteMessage } from '../../protocol/messages.js';
import { errorLines, processIO, resolveManifestArg, type CommandIO } from '../resolve-manifest.js';

/** Airbyte UIs mask fields marked `airbyte_secret`; our specs say `secret`. Mark both. */
function withAirbyteSecrets(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withAirbyteSecrets);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = key === 'default' || key === 'const' || key === 'enum' ? value : withAirbyteSecrets(value);
  if (out['secret'] === true) out['airbyte_secret'] = true;
  return out;
}

/** The SPEC message of a manifest: its config JSON Schema, docs link, whether any stream is incremental. */
export function specMessage(manifest: LoadedManifest): AirbyteMessage {
  const { node } = manifest;
  const supportsIncremental = Object.values(node.streams).some((stream) => stream.cursor_field !== undefined);
  return {
    type: 'SPEC',
    spec: {
      connectionSpecification: withAirbyteSecrets(node.spec) as Record<string, unknown>,
      ...(node.documentation_url === undefined ? {} : { documentationUrl: node.documentation_url }),
      supportsIncremental,
    },
  };
}

/** `spec <manifest>`: one SPEC line on stdout; on a bad manifest, the problems on stderr, a TRACE error on stdout, exit 1. */
export async function runSpec(arg: string, io: CommandIO = processIO): Promise<number> {
  try {
    io.stdout(JSON.stringify(specMessage(await resolveManifestArg(arg))));
    return 0;
  } catch (error) {
    const lines = errorLines(error);
    for (const line of lines) io.stderr(line);
    const trace: AirbyteMessage = {
      type: 'TRACE',
      trace: { type: 'ERROR', emitted_at: Date.now(), error: { message: lines[0] ?? 'invalid manifest', failure_type: 'config_error' } },
    };
    io.stdout(JSON.stringify(trace));
    return 1;
  }
}

export function registerSpec(program: Command): void {
  program
    .command('spec')
    .description('print the SPEC message (the JSON Schema of a connection config)')
    .argument('<manifest>', 'a manifest file or the name of a bundled manifest')
    .action(async (manifest: string) => {
      process.exitCode = await runSpec(manifest);
    });
}
