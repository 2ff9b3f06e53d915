import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { createSecretBox, KEY_FILE_NAME } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gwi-crypto-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const noEnv = {};
const CTX = 'connection acme config["token"]';

describe('createSecretBox', () => {
  it('seal/open round-trips unicode text and never repeats a ciphertext', () => {
    const box = createSecretBox(dir, noEnv);
    const plain = 'ghp_tøkén 🔑 with: colons';
    const a = box.seal(plain, CTX);
    const b = box.seal(plain, CTX);
    expect(a).toMatch(/^v2:[^:]+:[^:]+:[^:]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('ghp_');
    expect(box.open(a, CTX)).toBe(plain);
    expect(box.open(box.seal('', CTX), CTX)).toBe('');
  });

  it('open() refuses a tampered ciphertext, tag or format with SECRET_DECRYPT', () => {
    const box = createSecretBox(dir, noEnv);
    const [v, iv, tag, ct] = box.seal('secret value', CTX).split(':') as [string, string, string, string];
    const flipped = Buffer.from(ct, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    const cases = {
      ciphertext: [v, iv, tag, flipped.toString('base64')].join(':'),
      tag: [v, iv, Buffer.alloc(16).toString('base64'), ct].join(':'),
      version: ['v9', iv, tag, ct].join(':'),
      // v1 opens without the context: a v2 value relabelled v1 must still fail (GCM's tag covers it).
      downgraded: ['v1', iv, tag, ct].join(':'),
      truncated: [v, iv, tag].join(':'),
    };
    for (const [name, sealed] of Object.entries(cases)) {
      let caught: unknown;
      try {
        box.open(sealed, CTX);
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(ConnectorError);
      expect((caught as ConnectorError).code, name).toBe('SECRET_DECRYPT');
    }
  });

  it('a value opens only in the context it was sealed for: copied to another connection or field, it is refused', () => {
    const box = createSecretBox(dir, noEnv);
    const sealed = box.seal('ghp_token', CTX);
    for (const elsewhere of ['connection other config["token"]', 'connection acme config["name"]', '']) {
      expect(() => box.open(sealed, elsewhere), elsewhere).toThrow(expect.objectContaining({ code: 'SECRET_DECRYPT', message: expect.stringContaining('copied from another connection or field') }));
    }
  });

  it('opens a v1 value of an earlier release (sealed without a context) in any context', () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([cipher.update('from v1', 'utf8'), cipher.final()]);
    const v1 = ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
    const box = createSecretBox(dir, { GWI_SECRET_KEY: key.toString('hex') });
    expect(box.open(v1, CTX)).toBe('from v1');
    expect(box.open(v1, 'anything')).toBe('from v1');
  });

  it('creates the key file with mode 0600 on first start and reuses it', () => {
    const first = createSecretBox(dir, noEnv);
    const path = join(dir, KEY_FILE_NAME);
    expect(existsSync(path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const keyText = readFileSync(path, 'utf8');
    const sealed = first.seal('kept across restarts', CTX);
    const second = createSecretBox(dir, noEnv);
    expect(readFileSync(path, 'utf8')).toBe(keyText);
    expect(second.open(sealed, CTX)).toBe('kept across restarts');
  });

  it('creates the data dir when it does not exist yet', () => {
    const nested = join(dir, 'a', 'b');
    createSecretBox(nested, noEnv);
    expect(existsSync(join(nested, KEY_FILE_NAME))).toBe(true);
  });

  it('uses GWI_SECRET_KEY (hex or base64) and writes no key file', () => {
    const key = randomBytes(32);
    const hexBox = createSecretBox(dir, { GWI_SECRET_KEY: key.toString('hex') });
    const b64Box = createSecretBox(dir, { GWI_SECRET_KEY: key.toString('base64') });
    expect(b64Box.open(hexBox.seal('same key', CTX), CTX)).toBe('same key');
    expect(existsSync(join(dir, KEY_FILE_NAME))).toBe(false);
    // a different key cannot open it
    const other = createSecretBox(dir, { GWI_SECRET_KEY: randomBytes(32).toString('base64') });
    expect(() => other.open(hexBox.seal('x', CTX), CTX)).toThrow(/different key/);
  });

  it('rejects a bad GWI_SECRET_KEY with SECRET_KEY_INVALID and does not echo it', () => {
    for (const bad of ['short', randomBytes(16).toString('base64'), 'zz'.repeat(32), randomBytes(33).toString('hex')]) {
      let caught: unknown;
      try {
        createSecretBox(dir, { GWI_SECRET_KEY: bad });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConnectorError);
      expect((caught as ConnectorError).code).toBe('SECRET_KEY_INVALID');
      expect((caught as ConnectorError).message).toContain('GWI_SECRET_KEY');
      expect((caught as ConnectorError).message).not.toContain(bad);
    }
  });

  it('rejects a corrupt key file', () => {
    writeFileSync(join(dir, KEY_FILE_NAME), 'not a key\n', { mode: 0o600 });
    expect(() => createSecretBox(dir, noEnv)).toThrow(/32-byte key/);
  });
});
