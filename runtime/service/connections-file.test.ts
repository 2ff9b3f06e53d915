import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { checkConnectionInput, readConnectionsFile } from './connections-file.js';

const dir = mkdtempSync(join(tmpdir(), 'gwi-connections-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

function refusal(read: () => unknown): ConnectorError {
  try {
    read();
  } catch (error) {
    if (error instanceof ConnectorError) return error;
    throw error;
  }
  throw new Error('expected a ConnectorError');
}

const TWO = `connections:
  - id: first
    connector: github
    config: { token: t }
  - id: Second One
    connector: github
`;

describe('readConnectionsFile', () => {
  it('reads the entries', () => {
    expect(readConnectionsFile(file(TWO.replace('Second One', 'second'))).map((e) => e.input)).toEqual([
      { id: 'first', connector: 'github', config: { token: 't' }, schedule: null },
      { id: 'second', connector: 'github', config: {}, schedule: null },
    ]);
  });

  it('places a bad entry at the line and column of the field, naming the entry', () => {
    const path = file(TWO);
    const error = refusal(() => readConnectionsFile(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.format()).toBe(`${path}:5:9: connection "Second One" (connections[1]): id must be 1 to 63 characters of [a-z0-9-], got "Second One" (at connections[1].id). Use 1 to 63 lower-case letters, digits and dashes, e.g. "acme-github". [CONFIG_INVALID]`);
  });

  it('refuses a second entry with the same id, placed at its id and naming the first', () => {
    const path = file(TWO.replace('Second One', 'first'));
    const error = refusal(() => readConnectionsFile(path));
    expect(error.format()).toBe(`${path}:5:9: connection "first" (connections[1]): id "first" is already used by connections[0] (at connections[1].id). Give each connection its own id, or remove one of the two entries. [CONFIG_INVALID]`);
  });

  it('refuses an unknown key of an entry with a did-you-mean, at its line', () => {
    const path = file(TWO.replace('Second One', 'second') + '    schedul: every 1h\n');
    const error = refusal(() => readConnectionsFile(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('connection "second" (connections[1]): unknown key "schedul"; did you mean "schedule"?');
    expect(error.location).toMatchObject({ file: path, line: 7, path: 'connections[1].schedul' });
    expect(error.hint).toContain('id, connector, config, schedule');
  });

  it('places YAML syntax errors and a missing list', () => {
    const broken = file('connections:\n  - id: a\n    config: { token: t\n');
    expect(refusal(() => readConnectionsFile(broken))).toMatchObject({ code: 'CONFIG_FILE', location: { file: broken, line: expect.any(Number) } });
    expect(refusal(() => readConnectionsFile(file('connections: {}\n'))).message).toBe('expected a top-level "connections:" list');
    expect(refusal(() => readConnectionsFile(file('connection:\n  - id: a\n'))).message).toBe('unknown top-level key "connection"; did you mean "connections"?');
  });

  it("places a later error (the config's, found by resolveConfig) at the key its path names", () => {
    const path = file(TWO.replace('Second One', 'second'));
    const [first] = readConnectionsFile(path);
    const later = new ConnectorError('CONFIG_ENV_MISSING', 'environment variable not set: X (for config.token)', { location: { file: path, path: 'config.token' }, hint: 'Export X.' });
    const placed = first!.locate(later) as ConnectorError;
    expect(placed).toMatchObject({ code: 'CONFIG_ENV_MISSING', hint: 'Export X.', location: { file: path, line: 4, column: 22, path: 'connections[0].config.token' } });
    expect(placed.message).toBe('connection "first" (connections[0]): environment variable not set: X (for config.token)');
    // A key the file does not have (a required one) points at the nearest one it has.
    expect(first!.locate(new ConnectorError('CONFIG_INVALID', 'config.repositories is required', { location: { path: 'config.repositories' } }))).toMatchObject({ location: { line: 4, column: 13 } });
  });
});

describe('checkConnectionInput (API bodies)', () => {
  it('prefixes the message with where and names the field', () => {
    expect(refusal(() => checkConnectionInput({ id: 'a', connector: '' }, 'request body'))).toMatchObject({ message: 'request body: connector must name a manifest', location: { path: 'connector' } });
  });
  it('refuses an unknown field', () => {
    expect(refusal(() => checkConnectionInput({ id: 'a', connector: 'github', config: {}, token: 'x' }, 'request body'))).toMatchObject({ message: 'request body: unknown key "token"', location: { path: 'token' } });
  });
});

describe('every refusal of the connections file says how to fix it', () => {
  const entry = (extra: string) => `connections:\n  - id: a\n    connector: github\n${extra}`;
  // One case per refusal in connections-file.ts (counted below, so a new refusal needs a case here).
  const cases: Array<[name: string, text: string | null, code: string, message: RegExp]> = [
    ['missing file', null, 'CONFIG_FILE', /cannot read the connections file/],
    ['YAML syntax', 'connections:\n  - id: a\n    config: { token: t\n', 'CONFIG_FILE', /not valid YAML/],
    ['unknown top-level key', 'connections: []\nextra: 1\n', 'CONFIG_FILE', /^unknown top-level key "extra"$/],
    ['no list', 'connections: 3\n', 'CONFIG_FILE', /expected a top-level "connections:" list/],
    ['duplicate id', entry('  - id: a\n    connector: github\n'), 'CONFIG_INVALID', /already used by connections\[0\]/],
    ['scalar entry', 'connections:\n  - 5\n', 'CONFIG_INVALID', /expected an object with id, connector and config/],
    ['unknown entry key', entry('    schedul: every 1h\n'), 'CONFIG_INVALID', /unknown key "schedul"; did you mean "schedule"\?/],
    ['bad id', 'connections:\n  - id: A\n    connector: github\n', 'CONFIG_INVALID', /id must be 1 to 63 characters/],
    ['no connector', 'connections:\n  - id: a\n', 'CONFIG_INVALID', /connector must name a manifest/],
    ['config a list', entry('    config: [1]\n'), 'CONFIG_INVALID', /config must be an object/],
    ['schedule a number', entry('    schedule: 5\n'), 'CONFIG_INVALID', /schedule must be a string/],
    ['schedule empty', entry('    schedule: ""\n'), 'SCHEDULE_INVALID', /schedule is empty/],
  ];

  it.each(cases)('%s', (_name, text, code, message) => {
    const path = text === null ? join(dir, 'missing.yaml') : file(text);
    const error = refusal(() => readConnectionsFile(path));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.hint?.length ?? 0).toBeGreaterThan(10);
    // Placed in the file (a missing file has no position to give).
    if (text !== null) expect(error.location).toMatchObject({ file: path, line: expect.any(Number), column: expect.any(Number) });
  });

  it('covers each refusal in the source', () => {
    const source = readFileSync(new URL('./connections-file.ts', import.meta.url), 'utf8');
    expect(source.match(/throw (new ConnectorError|fail)\(/g)).toHaveLength(cases.length);
  });

  it('an unknown top-level key is placed at its line and column, with a did-you-mean', () => {
    const path = file('connections:\n  - id: a\n    connector: github\nconections_extra: 1\n');
    const error = refusal(() => readConnectionsFile(path));
    expect(error.location).toMatchObject({ file: path, line: 4, column: 1 });
    expect(refusal(() => readConnectionsFile(file('connections: []\nconnectins: []\n'))).message).toBe('unknown top-level key "connectins"; did you mean "connections"?');
  });
});

describe('connection ids', () => {
  it('are at most 63 characters, the message saying so (and not echoing a long id whole)', () => {
    expect(checkConnectionInput({ id: 'a'.repeat(63), connector: 'github' }).id).toHaveLength(63);
    const error = refusal(() => checkConnectionInput({ id: 'a'.repeat(5000), connector: 'github' }, 'request body'));
    expect(error.message).toBe(`request body: id must be 1 to 63 characters of [a-z0-9-], got "${'a'.repeat(20)}"... (5000 characters)`);
    expect(error.hint).toContain('1 to 63');
  });
});

describe('schedule: ""', () => {
  it('is refused SCHEDULE_INVALID (no schedule is written by leaving it out, or null)', () => {
    expect(refusal(() => checkConnectionInput({ id: 'a', connector: 'github', schedule: '' }, 'request body'))).toMatchObject({ code: 'SCHEDULE_INVALID', location: { path: 'schedule' } });
    expect(checkConnectionInput({ id: 'a', connector: 'github', schedule: null }).schedule).toBeNull();
  });
});
