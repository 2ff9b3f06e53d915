import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { loadManifest, parseManifest } from '../manifest/load.js';
import { expandEnv } from './env.js';
import { readJsonFile } from './read-json.js';
import { resolveConfig } from './resolve.js';
import { isMarkedSecret, secretPaths, secretValues } from './secret-values.js';
import { strictSpec } from './strict-spec.js';

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

describe('resolveConfig() never prints a secret, even where the error is on an object that holds one', () => {
  it('an anyOf at the root names the object by its type, not its content (secret in the first key)', async () => {
    const github = await loadManifest('github');
    for (const config of [{ webhook_secret: 'SUPERSECRET-1', repositories: ['a/b'] }, { token: 'TOKENSECRET-2' }]) {
      const error = failure(() => resolveConfig(config, github, { env: {} }));
      expect(error.format()).not.toMatch(/SECRET-\d/);
      expect(JSON.stringify(error.context)).not.toMatch(/SECRET-\d/);
    }
  });

  it('a scalar where an object of secrets belongs, an object or list anywhere, and a secret in an array item are not shown', () => {
    const spec = withSpec({
      type: 'object',
      properties: {
        oauth: { type: 'object', properties: { client_secret: { type: 'string', secret: true } } },
        keys: { type: 'array', items: { type: 'string', secret: true, minLength: 30 } },
        plain: { type: 'array', maxItems: 0, items: { type: 'string' } },
        size: { type: 'integer' },
      },
    });
    const error = failure(() => resolveConfig({ oauth: 'OAUTH-SECRET-1', keys: ['KEY-SECRET-2'], plain: ['not-a-secret'], size: 'big' }, spec, { env: {} }));
    expect(error.message).toContain('config.oauth must be object, got a string');
    expect(error.message).toContain('config.plain must NOT have more than 0 items, got a list');
    expect(error.message).toContain('config.size must be integer, got "big"');
    expect(error.message).not.toMatch(/SECRET|not-a-secret/);
  });

  it('a secret value given to a key that is not secret too is masked in the value shown; a one-letter secret is masked only inside the value shown, never in the key names', () => {
    const spec = withSpec({ type: 'object', properties: { token: { type: 'string', secret: true }, base_url: { type: 'string', format: 'uri' }, size: { type: 'integer' } } });
    const long = 'x'.repeat(50) + 'LONG-SECRET';
    expect(failure(() => resolveConfig({ token: long, base_url: long }, spec, { env: {} })).message).toBe('config does not match the strict spec: config.base_url must match format "uri", got "***"');
    expect(failure(() => resolveConfig({ token: 't', size: 'text' }, spec, { env: {} })).message).toBe('config does not match the strict spec: config.size must be integer, got "***ex***"');
  });
});

describe('resolveConfig() says "one of" for an anyOf/oneOf of required-only branches', () => {
  it('github without a credential or repositories: one line each, no "must match a schema in anyOf"', async () => {
    const github = await loadManifest('github');
    const error = failure(() => resolveConfig({ webhook_secret: 'w' }, github, { env: {} }));
    expect(error.message).toBe('config does not match the github spec: give one of config.token, config.oauth or config.app; give one of config.repositories or config.organization');
    expect(error.location?.path).toBe('config');
  });

  it('a oneOf matched twice, and branches requiring several keys', () => {
    const spec = withSpec({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } },
      oneOf: [{ required: ['a'] }, { required: ['b', 'c'] }],
    });
    expect(failure(() => resolveConfig({}, spec, { env: {} })).message).toContain(': give one of config.a or config.b and config.c');
    expect(failure(() => resolveConfig({ a: 'x', b: 'y', c: 'z' }, spec, { env: {} })).message).toContain(': give only one of config.a or config.b and config.c, not several');
    // A branch that does more than require keys is reported as ajv does.
    const mixed = withSpec({ type: 'object', properties: { a: { type: 'string' } }, anyOf: [{ required: ['a'] }, { properties: { a: { minLength: 3 } } , required: ['a'] }] });
    expect(failure(() => resolveConfig({}, mixed, { env: {} })).message).toContain('must match a schema in anyOf');
  });
});

describe('resolveConfig() tells of a ${VAR} set but empty', () => {
  it('calls onEmptyVariable with the variable and the config key, and still expands it to ""', () => {
    const seen: string[] = [];
    const spec = withSpec({ type: 'object', properties: { token: { type: 'string', secret: true }, repositories: { type: 'array', items: { type: 'string' } }, base_url: { type: 'string' } } });
    const config = resolveConfig({ token: '${EMPTY_TOKEN}', repositories: ['${REPO:-a/b}'], base_url: '${EMPTY_BASE:-http://x}' }, spec, {
      env: { EMPTY_TOKEN: '', EMPTY_BASE: '' }, onEmptyVariable: (variable, key) => seen.push(`${variable}@${key}`),
    });
    expect(seen).toEqual(['EMPTY_TOKEN@token']);
    expect(config).toMatchObject({ token: '', base_url: 'http://x' });
  });
});

/** A manifest around `spec` (YAML reads JSON). */
function withSpec(spec: object) {
  return parseManifest(`name: strict\nversion: 1.0.0\nspec: ${JSON.stringify(spec)}\nrequester: { url_base: "http://127.0.0.1:9" }\nstreams: { things: { primary_key: id, schema: {}, request: { path: /things } } }\n`, 'strict.yaml');
}

describe('resolveConfig() refuses config keys the spec does not declare', () => {
  it('manifests/github.yaml: a misspelt webhook_secret is refused by name, with a did-you-mean, its value unprinted', async () => {
    const github = await loadManifest('manifests/github.yaml');
    const error = failure(() => resolveConfig({ token: 'ghp_x', repositories: ['o/r'], webhok_secret: 'hush-123' }, github, { env: {}, file: 'conns.yaml' }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('config.webhok_secret is not a known config key; did you mean "webhook_secret"?');
    expect(error.location).toMatchObject({ file: 'conns.yaml', path: 'config.webhok_secret' });
    expect(error.hint).toMatch(/correct its spelling or remove it/);
    expect(error.format()).not.toContain('hush-123');
    // The correct spelling still passes.
    expect(resolveConfig({ token: 'ghp_x', repositories: ['o/r'], webhook_secret: 'hush-123' }, github, { env: {} })).toMatchObject({ webhook_secret: 'hush-123' });
  });

  it('refuses stray keys in nested objects that declare properties', () => {
    const manifest = withSpec({
      type: 'object',
      properties: { oauth: { type: 'object', properties: { client_id: { type: 'string' }, client_secret: { type: 'string', secret: true } } } },
    });
    const error = failure(() => resolveConfig({ oauth: { client_id: 'a', client_secert: 'b' } }, manifest, { env: {} }));
    expect(error.message).toContain('config.oauth.client_secert is not a known config key; did you mean "client_secret"?');
    expect(error.location?.path).toBe('config.oauth.client_secert');
  });

  it('keeps extra keys where the spec allows them (additionalProperties true or a schema, patternProperties, an object without properties)', () => {
    const manifest = withSpec({
      type: 'object',
      properties: {
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        labels: { type: 'object', properties: { team: { type: 'string' } }, additionalProperties: true },
        tags: { type: 'object', properties: { a: { type: 'string' } }, patternProperties: { '^x-': { type: 'string' } } },
        free: { type: 'object' },
      },
    });
    const config = { headers: { 'X-A': '1' }, labels: { team: 't', other: 'o' }, tags: { a: 'a', 'x-b': 'b' }, free: { anything: 1 } };
    expect(resolveConfig(config, manifest, { env: {} })).toEqual(config);
    expect(resolveConfig({ tags: { c: 'c' } }, manifest, { env: {} })).toEqual({ tags: { c: 'c' } });
  });

  it('accepts a key declared in any anyOf/oneOf/allOf branch, and still refuses one declared nowhere', () => {
    const manifest = withSpec({
      type: 'object',
      properties: { mode: { type: 'string' } },
      anyOf: [
        { properties: { token: { type: 'string' } }, required: ['token'] },
        { properties: { username: { type: 'string' }, password: { type: 'string' } }, required: ['username'] },
      ],
      allOf: [
        {
          oneOf: [
            { properties: { region: { type: 'string' } }, required: ['region'] },
            { properties: { endpoint: { type: 'string' } }, required: ['endpoint'] },
          ],
        },
      ],
    });
    expect(resolveConfig({ token: 't', region: 'eu' }, manifest, { env: {} })).toEqual({ token: 't', region: 'eu' });
    expect(resolveConfig({ username: 'u', password: 'p', endpoint: 'e', mode: 'm' }, manifest, { env: {} })).toMatchObject({ username: 'u' });
    const error = failure(() => resolveConfig({ token: 't', pasword: 'p' }, manifest, { env: {} }));
    expect(error.message).toContain('config.pasword is not a known config key; did you mean "password"?');
  });

  it('accepts a key only a required list names (in the node or a branch)', () => {
    const manifest = withSpec({ type: 'object', required: ['region'], properties: { mode: { type: 'string' } }, anyOf: [{ required: ['token'] }] });
    expect(resolveConfig({ region: 'eu', token: 't' }, manifest, { env: {} })).toEqual({ region: 'eu', token: 't' });
    expect(failure(() => resolveConfig({ region: 'eu', token: 't', tokne: 'x' }, manifest, { env: {} })).message).toContain('config.tokne is not a known config key; did you mean "token"?');
  });

  it('leaves a node open when a branch cannot be read (a branch allowing extra keys)', () => {
    const manifest = withSpec({ type: 'object', properties: { mode: { type: 'string' } }, anyOf: [{ properties: { token: { type: 'string' } }, additionalProperties: true }] });
    expect(resolveConfig({ mode: 'm', anything: 1 }, manifest, { env: {} })).toEqual({ mode: 'm', anything: 1 });
  });

  it('a key both a node and a branch declare keeps its nested schemas as written (either could refuse the other)', () => {
    const spec = {
      type: 'object',
      properties: { auth: { type: 'object', properties: { a: {} } } },
      anyOf: [{ properties: { auth: { type: 'object', properties: { b: {} } } } }],
    };
    const strict = strictSpec(spec) as { additionalProperties: unknown; properties: { auth: Record<string, unknown> } };
    expect(strict.additionalProperties).toBe(false);
    expect(strict.properties.auth).not.toHaveProperty('additionalProperties');
    expect(spec).not.toHaveProperty('additionalProperties'); // the argument is not changed
  });
});

describe('resolveConfig() reads shapes behind a local $ref like shapes written in place', () => {
  const repo = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, branch: { type: 'string' } } };

  it('refuses a stray key in an object defined under $defs or definitions, with a did-you-mean', () => {
    for (const defs of ['$defs', 'definitions']) {
      const manifest = withSpec({ type: 'object', [defs]: { repo }, properties: { main: { $ref: `#/${defs}/repo`, description: 'the main one' }, others: { type: 'array', items: { $ref: `#/${defs}/repo` } } } });
      expect(resolveConfig({ main: { name: 'a', branch: 'b' }, others: [{ name: 'c' }] }, manifest, { env: {} })).toEqual({ main: { name: 'a', branch: 'b' }, others: [{ name: 'c' }] });
      expect(failure(() => resolveConfig({ main: { name: 'a', brnach: 'b' } }, manifest, { env: {} })).message).toContain('config.main.brnach is not a known config key; did you mean "branch"?');
      expect(failure(() => resolveConfig({ others: [{ name: 'c', nmae: 'd' }] }, manifest, { env: {} })).message).toContain('config.others.0.nmae is not a known config key');
    }
  });

  it('a $ref used as a branch counts its keys as declared', () => {
    const manifest = withSpec({
      type: 'object',
      $defs: { token: { properties: { token: { type: 'string' } }, required: ['token'] }, basic: { properties: { username: { type: 'string' }, password: { type: 'string' } }, required: ['username'] } },
      properties: { mode: { type: 'string' } },
      anyOf: [{ $ref: '#/$defs/token' }, { $ref: '#/$defs/basic' }],
    });
    expect(resolveConfig({ username: 'u', password: 'p' }, manifest, { env: {} })).toEqual({ username: 'u', password: 'p' });
    expect(failure(() => resolveConfig({ token: 't', pasword: 'p' }, manifest, { env: {} })).message).toContain('config.pasword is not a known config key; did you mean "password"?');
  });

  it('a recursive shape is strict down to where it refers to itself, and still validates', () => {
    const node = { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } } };
    const manifest = withSpec({ type: 'object', $defs: { node }, properties: { tree: { $ref: '#/$defs/node' } } });
    const tree = { label: 'root', children: [{ label: 'leaf', children: [] }] };
    expect(resolveConfig({ tree }, manifest, { env: {} })).toEqual({ tree });
    expect(failure(() => resolveConfig({ tree: { lable: 'x' } }, manifest, { env: {} })).message).toContain('config.tree.lable is not a known config key; did you mean "label"?');
    expect(failure(() => resolveConfig({ tree: { label: 'x', children: [{ label: { text: 'x' } }] } }, manifest, { env: {} })).message).toContain('config.tree.children.0.label');
  });

  it('leaves a $ref with constraints beside it, and data that looks like a $ref, as written', () => {
    const spec = {
      type: 'object',
      $defs: { repo },
      properties: { main: { $ref: '#/$defs/repo', properties: { extra: { type: 'string' } } }, fallback: { type: 'object', default: { $ref: '#/$defs/repo' } } },
    };
    const strict = strictSpec(spec) as { properties: { main: Record<string, unknown>; fallback: { default: unknown } } };
    expect(strict.properties.main['$ref']).toBe('#/$defs/repo');
    expect(strict.properties.fallback.default).toEqual({ $ref: '#/$defs/repo' });
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

  it('follows local $refs (a reference cycle too), if/then/else and tuple items', () => {
    const referring = {
      type: 'object',
      definitions: { proxy: { type: 'object', properties: { password: { type: 'string', secret: true }, next: { $ref: '#/definitions/proxy' } } } },
      $defs: { loop: { $ref: '#/$defs/loop' }, key: { type: 'string', airbyte_secret: true } },
      properties: {
        proxy: { $ref: '#/definitions/proxy' },
        looped: { $ref: '#/$defs/loop' },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { $ref: '#/$defs/key' }] },
        auth: { if: { required: ['kind'] }, then: { properties: { pin: { type: 'string', secret: true } } } },
      },
    };
    const config = { proxy: { password: 'p1', next: { password: 'p2' } }, looped: 'x', pair: ['visible', 'k'], auth: { kind: 'pin', pin: '1234' } };
    expect(secretPaths(referring, config)).toEqual([['proxy', 'password'], ['pair', 1], ['auth', 'pin'], ['proxy', 'next', 'password']]);
  });

  it('isMarkedSecret() reads a node and the $refs it stands for (a cycle ends)', () => {
    const withRefs = { $defs: { token: { type: 'string', secret: true }, alias: { $ref: '#/$defs/token' }, loop: { $ref: '#/$defs/loop' } } };
    expect(isMarkedSecret(withRefs, { $ref: '#/$defs/alias' })).toBe(true);
    expect(isMarkedSecret(withRefs, { type: 'string', airbyte_secret: true })).toBe(true);
    expect(isMarkedSecret(withRefs, { $ref: '#/$defs/loop' })).toBe(false);
    expect(isMarkedSecret(withRefs, { type: 'string' })).toBe(false);
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
