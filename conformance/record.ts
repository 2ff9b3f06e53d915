import { compileTemplate } from '../runtime/expressions/index.js';
import type { LoadedManifest } from '../runtime/manifest/index.js';
import { secretValues } from '../runtime/config/index.js';
import { createConnector } from '../runtime/sync/index.js';
import { buildCatalog } from './builders.js';
import { startRecordingProxy } from './cassettes/recorder.js';
import { createScrubber } from './cassettes/scrub.js';
import { saveCassette, saveRecordedConfig } from './cassettes/store.js';
import { secretFields } from './builders.js';
import type { ConnectorFactory } from './checks/types.js';
import type { Interaction } from './cassettes/format.js';
import { normaliseQuery, stableJson } from './cassettes/match.js';

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
  const scrubber = createScrubber({
    secrets: secretValues(manifest.node.spec, config),
    keep: keptValues(publicConfig(manifest.node.spec, config)),
    ...(options.personalFields ? { personalFields: options.personalFields } : {}),
  });
  const proxy = await startRecordingProxy({ target, scrubber, ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}) });
  const make = options.createConnector ?? createConnector;
  const files: string[] = [];
  const seen = new Set<string>();
  try {
    const checker = make({ manifest, config, urlBaseOverride: proxy.url, connectionId: 'conformance-record' });
    const status = await checker.check();
    await checker.close();
    if (status.type === 'CONNECTION_STATUS' && status.connectionStatus.status === 'FAILED') {
      options.log?.(`check failed while recording: ${status.connectionStatus.message ?? ''}`);
    }
    const check = proxy.take('_check');
    for (const i of check.interactions) seen.add(requestKey(i));
    files.push(saveCassette(options.dir, check));
    files.push(saveRecordedConfig(options.dir, publicConfig(manifest.node.spec, config)));
    for (const stream of options.streams ?? Object.keys(manifest.node.streams)) {
      const connector = make({ manifest, config, urlBaseOverride: proxy.url, connectionId: 'conformance-record' });
      let records = 0;
      for await (const message of connector.read(buildCatalog(manifest.node, { streams: [stream], syncMode: 'full_refresh' }))) {
        if (message.type === 'RECORD') records++;
        if (message.type === 'TRACE' && message.trace.type === 'ERROR') options.log?.(`${stream}: ${message.trace.error.message}`);
      }
      await connector.close();
      // A parent's pages (repositories → pull requests → reviews) are recorded once, in the first
      // cassette that needed them: replay serves every cassette of the connector together.
      const taken = proxy.take(stream);
      const cassette = { ...taken, interactions: taken.interactions.filter((i) => !seen.has(requestKey(i)) && seen.add(requestKey(i))) };
      files.push(saveCassette(options.dir, cassette));
      options.log?.(`recorded ${stream}: ${cassette.interactions.length} interactions, ${records} records`);
    }
  } finally {
    await proxy.close();
  }
  return files;
}

/** The config without its secrets (nor the URL base, which replay overrides). */
function publicConfig(spec: unknown, config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const secrets = new Set(secretFields(spec).map((f) => f.split('.')[0]!));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const props = ((spec as { properties?: Record<string, { secret?: boolean; properties?: unknown }> })?.properties ?? {})[key];
    if (secrets.has(key) || props?.secret || (value && typeof value === 'object' && !Array.isArray(value) && secretFields(props).length > 0)) continue;
    out[key] = value;
  }
  return out;
}

function requestKey(i: Interaction): string {
  return `${i.request.method} ${i.request.path}?${normaliseQuery(i.request.query).join('&')} ${i.request.body === undefined ? '' : stableJson(i.request.body)}`;
}

/** Every string of the public config, and its "/"-separated parts ("octo-org/hello-world" → both names). */
function keptValues(config: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') out.push(value, ...value.split('/'));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(config);
  return out.filter((v) => v !== '');
}
