import { compileTemplate } from '../runtime/expressions/index.js';
import type { LoadedManifest } from '../runtime/manifest/index.js';
import { secretValues } from '../runtime/config/index.js';
import { createConnector } from '../runtime/sync/index.js';
import { buildCatalog } from './builders.js';
import { startRecordingProxy } from './cassettes/recorder.js';
import { createScrubber } from './cassettes/scrub.js';
import { saveCassette } from './cassettes/store.js';
import type { ConnectorFactory } from './checks/types.js';

export interface RecordOptions {
  manifest: LoadedManifest;
  /** The real connection config (resolved: `${ENV}` expanded, validated). */
  config: Readonly<Record<string, unknown>>;
  /** Where cassettes are written: `<dir>/<stream>.json` (+ `_check.json`). */
  dir: string;
  /** Streams to record (default: all). */
  streams?: readonly string[];
  /** Body fields scrubbed as personal data (default: PERSONAL_FIELDS). */
  personalFields?: readonly string[];
  /** Where the live API is (default: the manifest's rendered url_base). Tests point it at a local server. */
  target?: string;
  createConnector?: ConnectorFactory;
  fetchImpl?: typeof fetch;
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * Record one cassette per stream from the live API, through a local recording proxy: the engine reads
 * each stream in full once, every interaction is kept, then secrets (the spec's `secret: true`
 * values) and personal data are scrubbed before anything is written.
 */
export async function recordCassettes(options: RecordOptions): Promise<string[]> {
  const { manifest, config } = options;
  const target = options.target ?? String(await compileTemplate(manifest.node.requester.url_base).render({ config }));
  const scrubber = createScrubber({ secrets: secretValues(manifest.node.spec, config), ...(options.personalFields ? { personalFields: options.personalFields } : {}) });
  const proxy = await startRecordingProxy({ target, scrubber, ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}) });
  const make = options.createConnector ?? createConnector;
  const files: string[] = [];
  try {
    const checker = make({ manifest, config, urlBaseOverride: proxy.url, connectionId: 'conformance-record' });
    const status = await checker.check();
    await checker.close();
    if (status.type === 'CONNECTION_STATUS' && status.connectionStatus.status === 'FAILED') {
      options.log?.(`check failed while recording: ${status.connectionStatus.message ?? ''}`);
    }
    files.push(saveCassette(options.dir, proxy.take('_check')));
    for (const stream of options.streams ?? Object.keys(manifest.node.streams)) {
      const connector = make({ manifest, config, urlBaseOverride: proxy.url, connectionId: 'conformance-record' });
      let records = 0;
      for await (const message of connector.read(buildCatalog(manifest.node, { streams: [stream], syncMode: 'full_refresh' }))) {
        if (message.type === 'RECORD') records++;
        if (message.type === 'TRACE' && message.trace.type === 'ERROR') options.log?.(`${stream}: ${message.trace.error.message}`);
      }
      await connector.close();
      const cassette = proxy.take(stream);
      files.push(saveCassette(options.dir, cassette));
      options.log?.(`recorded ${stream}: ${cassette.interactions.length} interactions, ${records} records`);
    }
  } finally {
    await proxy.close();
  }
  return files;
}
