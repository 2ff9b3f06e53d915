import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    expect(error.format()).toBe(`${path}:5:9: connection "Second One" (connections[1]): id must match [a-z0-9-]+, got "Second One" (at connections[1].id) Use lower-case letters, digits and dashes, e.g. "acme-github". [CONFIG_INVALID]`);
  });

  it('refuses a second entry with the same id, placed at its id and naming the first', () => {
    const path = file(TWO.replace('Second One', 'first'));
    const error = refusal(() => readConnectionsFile(path));
    expect(error.format()).toBe(`${path}:5:9: connection "first" (connections[1]): id "first" is already used by connections[0] (at connections[1].id) Give each connection its own id, or remove one of the two entries. [CONFIG_INVALID]`);
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
    expect(refusal(() => readConnectionsFile(file('connection:\n  - id: a\n'))).message).toBe('expected a top-level "connections:" list');
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
