import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatResult, formatSummary, toJUnit } from '../../../conformance/report.js';
import { recordCassettes } from '../../../conformance/record.js';
import { runConformance } from '../../../conformance/suite.js';
import { readJsonFile, resolveConfig } from '../../config/index.js';
import { packageRoot } from '../../manifest/index.js';
import { errorLines, processIO, resolveManifestArg, type CommandIO } from '../resolve-manifest.js';

export interface TestArgs {
  cassettes?: string;
  record?: boolean;
  config?: string;
  junit?: string;
  simulate?: boolean;
  seed?: string;
  /** Comma-separated body fields scrubbed as personal data when recording (default: PERSONAL_FIELDS). */
  personalFields?: string;
}

/**
 * `gwi-connectors test <manifest>`: the conformance suite. One line per check, then
 * `N passed, N failed, N skipped` alone on the last line; exit code 1 on any failure.
 */
export async function runTestCommand(manifestArg: string, args: TestArgs, io: CommandIO = processIO): Promise<number> {
  try {
    if (args.record) {
      if (!args.config) {
        io.stderr('--record needs --config <file> with a real connection config (values may be ${ENV} references)');
        return 2;
      }
      const manifest = await resolveManifestArg(manifestArg);
      const config = resolveConfig(readJsonFile(args.config, 'config file'), manifest, { file: args.config });
      const dir = resolve(args.cassettes ?? join(packageRoot(), 'conformance', 'cassettes', manifest.node.name));
      const personalFields = args.personalFields?.split(',').map((f) => f.trim()).filter(Boolean);
      const files = await recordCassettes({ manifest, config, dir, log: (line) => io.stderr(line), ...(personalFields ? { personalFields } : {}) });
      io.stderr(`wrote ${files.length} cassette(s) under ${dir}`);
      args = { ...args, cassettes: dir };
    }
    const report = await runConformance({
      manifest: manifestArg,
      ...(args.cassettes ? { cassettes: args.cassettes } : {}),
      ...(args.simulate ? { simulate: true } : {}),
      ...(args.seed ? { seed: args.seed } : {}),
      onResult: (result) => io.stdout(formatResult(result)),
    });
    if (args.junit) writeFileSync(args.junit, toJUnit(report));
    io.stdout(formatSummary(report));
    return report.failed > 0 ? 1 : 0;
  } catch (error) {
    for (const line of errorLines(error)) io.stderr(line);
    io.stdout(formatSummary({ passed: 0, failed: 1, skipped: 0 }));
    return 1;
  }
}

export function registerTest(program: Command): void {
  program
    .command('test')
    .description('Run the conformance suite against a manifest (cassettes or a simulated API; no credentials needed)')
    .argument('<manifest>', 'path to a manifest, or the name of one in manifests/')
    .option('--cassettes <dir>', 'cassette directory (default: conformance/cassettes/<connector> when it exists)')
    .option('--record', 'record cassettes from the live API first (needs --config)')
    .option('--config <file>', 'connection config for --record')
    .option('--personal-fields <list>', 'with --record: comma-separated body fields to pseudonymise (default: email,name,login,avatar_url,...)')
    .option('--junit <file>', 'also write the results as JUnit XML')
    .option('--simulate', 'use the simulated API even when cassettes exist')
    .option('--seed <seed>', 'seed of the simulated data and of the fault schedule')
    .action(async (manifest: string, args: TestArgs) => {
      process.exitCode = await runTestCommand(manifest, args);
    });
}
