import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { parseManifest } from '../manifest/load.js';
import { expandEnv } from './env.js';
import { readJsonFile } from './read-json.js';
import { resolveConfig } from './resolve.js';
import { secretPaths, secretValues } from './secret-values.js';

const manifest = parseManifest(
  `
name: cfg
version: 1.0.0
spec:
  type: object
  required: [token, repositories]
  additionalProperties: false
  properties:
    token: { type: string, secret: true, minLength: 8 }
    repositories: { type: array, items: { type: string }, minItems: 1 }
    base_url: { type: string, default: "https://api.example.test" }
    page_size: { type: integer, default: 100, maximum: 100 }
    oauth:
      type: object
      properties:
        client_id: { type: string }
        client_secret: { type: string, secret: true }
requester: { url_base: "{{ config.base_url }}" }
streams:
  things: { primary_key: id, schema: {}, request: { path: /things } }
`,
  'cfg.yaml',
);

function failure(fn: () => unknown): ConnectorError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  }
  throw new Error('expected an error');
}

describe('resolveConfig()', () => {
  it('expands ${VAR} and ${VAR:-default}, applies spec defaults, coerces env strings, freezes', () => {
    const config = resolveConfig(
      { token: '${TOKEN}', repositories: ['o/r'], base_url: '${BASE:-http://127.0.0.1:9}', page_size: '${SIZE}' },
      manifest,
      { env: { TOKEN: 'tok-123456789', SIZE: '50' } },
    );
    expect(config).toEqual({ token: 'tok-123456789', repositories: ['o/r'], base_url: 'http://127.0.0.1:9', page_size: 50 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(resolveConfig({ token: 'tok-123456789', repositories: ['a'] }, manifest, { env: {} })).toMatchObject({
      base_url: 'https://api.example.test',
      page_size: 100,
    });
  });

  it('keeps $${VAR} literal', () => {
    expect(expandEnv({ a: 'x $${HOME} y' }, {})).toEqual({ a: 'x ${HOME} y' });
  });

  it('names every missing variable and the config key that needs it', () => {
    const error = failure(() => resolveConfig({ token: '${NO_TOKEN}', repositories: ['${NO_REPO}'] }, manifest, { env: {}, file: 'c.json' }));
    expect(error.code).toBe('CONFIG_ENV_MISSING');
    expect(error.message).toBe('environment variables not set: NO_TOKEN (for config.token), NO_REPO (for config.repositories.0)');
    expect(error.location).toMatchObject({ file: 'c.json', path: 'config.token' });
  });

  it('reports invalid values by key, with the fix, and never prints a secret', () => {
    const secret = 'short';
    const error = failure(() => resolveConfig({ token: secret, repositories: [], page_size: 500, extra: 1, oauth: { client_secret: 42 } }, manifest, { env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('config.token must NOT have fewer than 8 characters');
    expect(error.message).toContain('config.repositories must NOT have fewer than 1 items');
    expect(error.message).toContain('config.page_size must be <= 100, got 500');
    expect(error.message).toContain('config.extra is not a known config key');
    expect(error.format()).not.toContain(secret);
    expect(JSON.stringify(error.context)).not.toContain(secret);
    expect(error.hint).toMatch(/gwi-connectors spec cfg/);
  });

  it('reports a missing required key', () => {
    const error = failure(() => resolveConfig({ repositories: ['a'] }, manifest, { env: {} }));
    expect(error.message).toContain('config.token is required');
    expect(error.location?.path).toBe('config.token');
  });

  it('refuses a config that is not an object', () => {
    expect(failure(() => resolveConfig([], manifest)).message).toBe('config must be a JSON object, got a list');
  });
});

describe('secretValues()', () => {
  it('collects values of fields marked secret, nested too', () => {
    const spec = manifest.node.spec;
    const config = { token: 'tok-123456789', repositories: ['a'], oauth: { client_id: 'id', client_secret: 'cs-secret' } };
    expect(secretValues(spec, config).sort()).toEqual(['cs-secret', 'tok-123456789']);
  });

  it('handles arrays of objects and additionalProperties', () => {
    const spec = {
      type: 'object',
      properties: { keys: { type: 'array', items: { type: 'object', properties: { value: { type: 'string', secret: true } } } } },
      additionalProperties: { type: 'string', secret: true },
    };
    expect(secretValues(spec, { keys: [{ value: 'k1' }, { value: 'k2' }], other: 'o1' }).sort()).toEqual(['k1', 'k2', 'o1']);
  });
});

describe('secretPaths()', () => {
  const spec = {
    type: 'object',
    properties: {
      plain: { type: 'string' },
      credentials: {
        anyOf: [
          { type: 'object', properties: { token: { type: 'string', secret: true } } },
          { type: 'object', secret: true },
        ],
      },
      keys: { type: 'array', items: { type: 'string', secret: true } },
      constructor: { type: 'string' },
    },
    patternProperties: { '^x-': { type: 'string', secret: true } },
  };

  it('names each secret value of the config by its keys and indexes, outermost only', () => {
    const config = { plain: 'p', credentials: { token: 't' }, keys: ['k0', 'k1'], 'x-key': 'h', constructor: 'c' };
    expect(secretPaths(spec, config)).toEqual([['credentials'], ['x-key'], ['keys', 0], ['keys', 1]]);
  });

  it('names only values the config has', () => {
    expect(secretPaths(spec, { plain: 'p', keys: [] })).toEqual([]);
  });
});

describe('readJsonFile()', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));

  it('reads JSON', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, '{"a": 1}');
    expect(readJsonFile(file, 'config file')).toEqual({ a: 1 });
  });

  it('reports a missing file and bad JSON with its line and column', () => {
    expect(failure(() => readJsonFile(join(dir, 'none.json'), 'state')).message).toMatch(/^state .*none\.json does not exist$/);
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{\n  "a": 1,\n}');
    const error = failure(() => readJsonFile(file, 'config file'));
    expect(error.code).toBe('CONFIG_FILE');
    expect(error.location).toMatchObject({ file, line: 3, column: 1 });
  });
});
