import { resolveConfig } from '../config/index.js';
import { ConnectorError } from '../errors/index.js';
import { loadManifest, type LoadedManifest } from '../manifest/index.js';
import { createRecordPipeline } from '../records/index.js';
import type { RecordPipeline } from '../records/types.js';
import { checkConnectionInput, readConnectionsFile, type FileConnection } from '../service/connections-file.js';

/** What a worker needs to map a connection's deliveries: the same manifest, config and pipelines as polling. */
export interface WorkerTarget {
  connection: string;
  connector: string;
  manifest: LoadedManifest;
  config: Readonly<Record<string, unknown>>;
  pipelineFor(stream: string): RecordPipeline;
}

export interface LoadTargetsOptions {
  connectionsFile?: string;
  /** Connections given in code (tests, embedding); the file's entries win for the same id. */
  connections?: readonly unknown[];
  /** Manifests by name; connectors not listed are loaded from the bundled manifests. */
  manifests?: readonly LoadedManifest[];
  env?: NodeJS.ProcessEnv;
}

/**
 * The worker's connections, resolved like `serve` resolves them (`${ENV}` expanded for the file only,
 * config validated against the manifest spec), so a mapping that reads `$config` sees the same values.
 */
export async function loadTargets(options: LoadTargetsOptions): Promise<Map<string, WorkerTarget>> {
  const env = options.env ?? process.env;
  const manifests = new Map<string, LoadedManifest>((options.manifests ?? []).map((m) => [m.node.name, m]));
  const file = options.connectionsFile;
  const entries: Array<FileConnection & { file?: string }> = [
    ...(options.connections ?? []).map((value, index) => ({ input: checkConnectionInput(value, `connections[${index}]`), locate: (error: unknown) => error })),
    ...(file ? readConnectionsFile(file).map((entry) => ({ ...entry, file })) : []),
  ];

  const targets = new Map<string, WorkerTarget>();
  for (const { input, locate, file } of entries) {
    try {
      let manifest = manifests.get(input.connector);
      if (!manifest) {
        try {
          manifest = await loadManifest(input.connector);
        } catch (cause) {
          throw new ConnectorError('CONFIG_INVALID', `connection ${input.id}: no manifest named ${input.connector}`, { location: { path: 'connector' }, hint: 'Use the name of a bundled manifest (gwi-connectors validate lists them).', cause });
        }
        manifests.set(input.connector, manifest);
      }
      // `${ENV}` only for the file, as in `serve`: connections given in code are taken literally.
      const config = resolveConfig(input.config, manifest, file ? { env, file } : { env: {} });
      targets.set(input.id, { connection: input.id, connector: input.connector, manifest, config, pipelineFor: pipelines(manifest) });
    } catch (error) {
      throw locate(error);
    }
  }
  return targets;
}

function pipelines(manifest: LoadedManifest): (stream: string) => RecordPipeline {
  const byStream = new Map<string, RecordPipeline>();
  return (stream) => {
    let pipeline = byStream.get(stream);
    if (!pipeline) {
      const node = manifest.node.streams[stream];
      if (!node) throw new ConnectorError('MANIFEST_REFERENCE', `${manifest.node.name}: webhooks.events maps to stream ${stream}, which the manifest does not declare`);
      pipeline = createRecordPipeline(node, stream);
      byStream.set(stream, pipeline);
    }
    return pipeline;
  };
}
