import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConnectorError } from '../errors/index.js';

/** One connection as written in the connections file or posted to `POST /api/connections`. */
export interface ConnectionInput {
  id: string;
  connector: string;
  config: Record<string, unknown>;
  schedule?: string | null;
}

export const CONNECTION_ID = /^[a-z0-9-]+$/;

/**
 * Read a connections file (YAML or JSON). `${ENV}` references in `config` are expanded later, by
 * resolveConfig, which also validates the config against the manifest spec.
 */
export function readConnectionsFile(file: string): ConnectionInput[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConnectorError('CONFIG_FILE', `cannot read the connections file ${file}`, { hint: 'Check the --connections path.', cause });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw new ConnectorError('CONFIG_FILE', `${file}: not valid YAML: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const list = (doc as { connections?: unknown } | null)?.connections;
  if (!Array.isArray(list)) throw new ConnectorError('CONFIG_FILE', `${file}: expected a top-level "connections:" list`, { hint: 'See docs/service.md for the format.' });
  return list.map((entry, index) => checkConnectionInput(entry, `${file}: connections[${index}]`));
}

/** Check the shape of one connection entry (the config itself is validated against the manifest later). */
export function checkConnectionInput(value: unknown, where: string): ConnectionInput {
  const entry = value as Partial<ConnectionInput> | null;
  if (!entry || typeof entry !== 'object') throw new ConnectorError('CONFIG_INVALID', `${where}: expected an object with id, connector and config`);
  if (typeof entry.id !== 'string' || !CONNECTION_ID.test(entry.id)) {
    throw new ConnectorError('CONFIG_INVALID', `${where}: id must match [a-z0-9-]+`, { hint: 'Use lower-case letters, digits and dashes, e.g. "acme-github".' });
  }
  if (typeof entry.connector !== 'string' || entry.connector === '') throw new ConnectorError('CONFIG_INVALID', `${where}: connector must name a manifest`);
  if (entry.config !== undefined && (typeof entry.config !== 'object' || entry.config === null || Array.isArray(entry.config))) {
    throw new ConnectorError('CONFIG_INVALID', `${where}: config must be an object`);
  }
  if (entry.schedule !== undefined && entry.schedule !== null && typeof entry.schedule !== 'string') {
    throw new ConnectorError('CONFIG_INVALID', `${where}: schedule must be a string such as "every 1h" or "0 * * * *"`);
  }
  return { id: entry.id, connector: entry.connector, config: (entry.config ?? {}) as Record<string, unknown>, schedule: entry.schedule ?? null };
}
