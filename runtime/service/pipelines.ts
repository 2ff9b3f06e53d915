import { ConnectorError } from '../errors/index.js';
import type { LoadedManifest } from '../manifest/index.js';
import { createRecordPipeline } from '../records/index.js';
import type { RecordPipeline } from '../records/types.js';

/** Each stream's record pipeline (filter, map, primary key), compiled once per manifest and reused. */
export function createPipelineCache(): (manifest: LoadedManifest) => (stream: string) => RecordPipeline {
  const pipelines = new WeakMap<LoadedManifest, Map<string, RecordPipeline>>();
  return (manifest) => (stream) => {
    let byStream = pipelines.get(manifest);
    if (!byStream) pipelines.set(manifest, (byStream = new Map()));
    let pipeline = byStream.get(stream);
    if (!pipeline) {
      const node = manifest.node.streams[stream];
      if (!node) throw new ConnectorError('MANIFEST_REFERENCE', `${manifest.node.name} has no stream ${stream}`);
      pipeline = createRecordPipeline(node, stream);
      byStream.set(stream, pipeline);
    }
    return pipeline;
  };
}
