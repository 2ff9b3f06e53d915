import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectorError } from '../../runtime/errors/index.js';
import type { Cassette, CassetteSet, WebhookSample } from './format.js';

/** Read `<dir>/<stream>.json` and `<dir>/webhooks/<event>.json`. A missing directory is an empty set. */
export function loadCassettes(dir: string, connector: string): CassetteSet {
  const set: CassetteSet = { connector, cassettes: [], webhooks: [] };
  if (!existsSync(dir)) return set;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== CONFIG_FILE).sort()) {
    const cassette = readJson(join(dir, file)) as Cassette;
    if (!Array.isArray(cassette.interactions)) throw invalid(join(dir, file), 'has no "interactions" list');
    set.cassettes.push({ stream: cassette.stream ?? file.replace(/\.json$/, ''), ...(cassette.base ? { base: cassette.base } : {}), interactions: cassette.interactions });
  }
  const hooks = join(dir, 'webhooks');
  if (existsSync(hooks)) {
    for (const file of readdirSync(hooks).filter((f) => f.endsWith('.json')).sort()) {
      const sample = readJson(join(hooks, file)) as WebhookSample;
      if (typeof sample.headers !== 'object' || sample.body === undefined) throw invalid(join(hooks, file), 'needs "headers" and "body"');
      set.webhooks.push({ event: sample.event ?? file.replace(/\.json$/, ''), headers: sample.headers, body: sample.body });
    }
  }
  return set;
}

/** The non-secret config values a recording was made with: replay uses them so request paths match. */
export const CONFIG_FILE = '_config.json';

export function loadRecordedConfig(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, CONFIG_FILE);
  return existsSync(file) ? (readJson(file) as Record<string, unknown>) : undefined;
}

export function saveRecordedConfig(dir: string, config: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, CONFIG_FILE);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

export function saveCassette(dir: string, cassette: Cassette): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${cassette.stream}.json`);
  // One interaction per line: compact for large bodies, still line-diffable.
  const head = JSON.stringify({ stream: cassette.stream, ...(cassette.base ? { base: cassette.base } : {}) }).slice(0, -1);
  const lines = cassette.interactions.map((i) => `    ${JSON.stringify(i)}`).join(',\n');
  writeFileSync(file, `${head},\n  "interactions": [\n${lines}${lines ? '\n' : ''}  ]\n}\n`);
  return file;
}

export function saveWebhookSample(dir: string, sample: WebhookSample, name = sample.event): string {
  mkdirSync(join(dir, 'webhooks'), { recursive: true });
  const file = join(dir, 'webhooks', `${name}.json`);
  writeFileSync(file, `${JSON.stringify(sample, null, 2)}\n`);
  return file;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConnectorError('CONFIG_FILE', `cassette ${file} is not valid JSON: ${String(error)}`, { hint: 'Re-record it with `gwi-connectors test --record`.', cause: error });
  }
}

function invalid(file: string, what: string): ConnectorError {
  return new ConnectorError('CONFIG_FILE', `cassette ${file} ${what}`, { hint: 'Re-record it with `gwi-connectors test --record`.' });
}
