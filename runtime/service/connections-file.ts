import { readFileSync } from 'node:fs';
import { ConnectorError, isConnectorError, relocated, type SourceLocation } from '../errors/index.js';
import { suggestion } from '../manifest/levenshtein.js';
import { parseYaml, type Path } from '../manifest/source-map.js';

/** One connection as written in the connections file or posted to `POST /api/connections`. */
export interface ConnectionInput {
  id: string;
  connector: string;
  config: Record<string, unknown>;
  schedule?: string | null;
}

/** An entry of the connections file, and how to say where it is when it turns out to be wrong. */
export interface FileConnection {
  input: ConnectionInput;
  /**
   * The error again, placed at the entry's line and column in the file (the key its `location.path`
   * names, e.g. `config.token`, else the entry) and naming the connection.
   */
  locate(error: unknown): unknown;
}

/** At most 63 characters: an id is in every URL and log line of its connection (and fits a DNS label). */
export const CONNECTION_ID = /^[a-z0-9-]{1,63}$/;
const ID_HINT = 'Use 1 to 63 lower-case letters, digits and dashes, e.g. "acme-github".';

/** The keys of the file itself; any other is refused (a misspelt `connection:` would configure nothing). */
const FILE_KEYS: readonly string[] = ['connections'];

/** The keys of an entry; any other is refused (a misspelt `schedul:` would leave the connection unscheduled). */
const ENTRY_KEYS: readonly string[] = ['id', 'connector', 'config', 'schedule'];

const FORMAT_HINT = 'See docs/service.md ("The connections file") for the format.';

/**
 * Read a connections file (YAML or JSON). `${ENV}` references in `config` are expanded later, by
 * resolveConfig, which also validates the config against the manifest spec; its errors go through
 * the entry's `locate` to get the file's line and column.
 */
export function readConnectionsFile(file: string): FileConnection[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConnectorError('CONFIG_FILE', `cannot read the connections file ${file}`, { hint: 'Check the --connections path.', cause });
  }
  const { value, source, problems } = parseYaml(text, file);
  const syntax = problems[0];
  if (syntax) {
    throw new ConnectorError('CONFIG_FILE', `the connections file is not valid YAML: ${syntax.message}`, {
      location: syntax.location ?? { file }, hint: syntax.hint ?? 'Fix the YAML syntax at this position.',
    });
  }
  const unknown = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).find((key) => !FILE_KEYS.includes(key)) : undefined;
  if (unknown !== undefined) {
    throw new ConnectorError('CONFIG_FILE', `unknown top-level key ${JSON.stringify(unknown)}${suggestion(unknown, FILE_KEYS)}`, {
      location: source.locate(value, [unknown], 'key'),
      hint: `The file has one top-level key, connections: (the list of entries); correct the key's spelling, or remove it. ${FORMAT_HINT}`,
    });
  }
  const list = (value as { connections?: unknown } | null)?.connections;
  if (!Array.isArray(list)) {
    throw new ConnectorError('CONFIG_FILE', 'expected a top-level "connections:" list', { location: source.locate(value, ['connections']), hint: FORMAT_HINT });
  }
  // Where each id was first seen: a second entry with it would silently replace the first.
  const seen = new Map<string, number>();
  return list.map((entry: unknown, index) => {
    const id = (entry as { id?: unknown } | null)?.id;
    const label = typeof id === 'string' && id !== '' ? `${JSON.stringify(id)} (connections[${index}])` : `connections[${index}]`;
    const locate = (error: unknown) => placeError(error, label, (path) => source.locate(value, ['connections', index, ...path]));
    try {
      const input = checkConnectionInput(entry);
      const first = seen.get(input.id);
      if (first !== undefined) {
        throw new ConnectorError('CONFIG_INVALID', `id ${JSON.stringify(input.id)} is already used by connections[${first}]`, {
          location: { path: 'id' }, hint: 'Give each connection its own id, or remove one of the two entries.',
        });
      }
      seen.set(input.id, index);
      return { input, locate };
    } catch (error) {
      throw locate(error);
    }
  });
}

/** `connection "acme" (connections[0]): <message>` at file:line:col of the key the error names. */
function placeError(error: unknown, label: string, at: (path: Path) => SourceLocation): unknown {
  if (!isConnectorError(error)) return error;
  // Paths inside an entry are dotted (`config.repositories.0`); sequences are indexed by number.
  const path = (error.location?.path ?? '').split('.').filter((part) => part !== '').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  return relocated(error, at(path), `connection ${label}: `);
}

/**
 * Check the shape of one connection entry (the config itself is validated against the manifest
 * later). Errors name the field in `location.path` (`id`, `connector`, `config`, `schedule`); `where`
 * prefixes the message for callers without a file to point into (the API's "request body").
 */
export function checkConnectionInput(value: unknown, where?: string): ConnectionInput {
  // Every refusal says how to fix it (the API's error body and the file's message carry the hint).
  const fail = (field: string, message: string, hint: string, code: 'CONFIG_INVALID' | 'SCHEDULE_INVALID' = 'CONFIG_INVALID') =>
    new ConnectorError(code, where ? `${where}: ${message}` : message, { location: { path: field }, hint });
  const entry = value as Partial<ConnectionInput> | null;
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw fail('', 'expected an object with id, connector and config', FORMAT_HINT);
  const unknown = Object.keys(entry).find((key) => !ENTRY_KEYS.includes(key));
  if (unknown !== undefined) {
    throw fail(unknown, `unknown key ${JSON.stringify(unknown)}${suggestion(unknown, ENTRY_KEYS)}`, `A connection has the keys ${ENTRY_KEYS.join(', ')}; the connector's own settings go under config.`);
  }
  if (typeof entry.id !== 'string' || !CONNECTION_ID.test(entry.id)) {
    const got = typeof entry.id === 'string' && entry.id.length > 63 ? `${JSON.stringify(entry.id.slice(0, 20))}... (${entry.id.length} characters)` : JSON.stringify(entry.id) ?? 'nothing';
    throw fail('id', `id must be 1 to 63 characters of [a-z0-9-], got ${got}`, ID_HINT);
  }
  if (typeof entry.connector !== 'string' || entry.connector === '') throw fail('connector', 'connector must name a manifest', 'e.g. connector: github (`gwi-connectors validate` lists the bundled ones).');
  if (entry.config !== undefined && (typeof entry.config !== 'object' || entry.config === null || Array.isArray(entry.config))) {
    throw fail('config', 'config must be an object', 'Write the config as key: value lines under config:.');
  }
  if (entry.schedule !== undefined && entry.schedule !== null && typeof entry.schedule !== 'string') {
    throw fail('schedule', 'schedule must be a string such as "every 1h" or "0 * * * *"', 'Write it as schedule: "every 1h" (or a cron expression), or leave schedule out for a connection synced only on demand.');
  }
  // "" would be stored and shown as a schedule, while no schedule is null everywhere else.
  if (typeof entry.schedule === 'string' && entry.schedule.trim() === '') {
    throw fail('schedule', 'schedule is empty', 'Leave schedule out (or give null) for a connection synced only on demand, or write one such as "every 1h".', 'SCHEDULE_INVALID');
  }
  return { id: entry.id, connector: entry.connector, config: (entry.config ?? {}) as Record<string, unknown>, schedule: entry.schedule ?? null };
}
