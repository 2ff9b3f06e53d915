import { describe, expect, it } from 'vitest';
import { createRedactor, redactDeep } from './redact.js';

describe('createRedactor()', () => {
  it('masks every occurrence of each secret', () => {
    const redact = createRedactor(['ghp_abc123', 's3cr3t']);
    expect(redact('token ghp_abc123 and ghp_abc123; pw=s3cr3t')).toBe('token *** and ***; pw=***');
  });

  it('masks URL-encoded forms', () => {
    const secret = 'a b/c+d&e';
    const redact = createRedactor([secret]);
    expect(redact(`https://x.test/?key=${encodeURIComponent(secret)}`)).toBe('https://x.test/?key=***');
    expect(redact('key=a+b%2Fc%2Bd%26e')).toBe('key=***');
  });

  it('masks base64 forms, also inside a longer encoded value (Basic auth)', () => {
    const redact = createRedactor(['hunter22']);
    expect(redact(Buffer.from('hunter22').toString('base64'))).toBe('***');
    for (const user of ['a', 'ab', 'abc']) {
      const header = `Basic ${Buffer.from(`${user}:hunter22`).toString('base64')}`;
      const out = redact(header);
      expect(out).toContain('***');
      // what is left cannot be decoded back to the secret
      expect(Buffer.from(out.replace('Basic ', '').replace('***', ''), 'base64').toString()).not.toContain('hunter22');
    }
  });

  it('masks the longer of two overlapping secrets whole', () => {
    expect(createRedactor(['abcd', 'abcdefgh'])('x abcdefgh y')).toBe('x *** y');
  });

  it('treats regex characters literally and ignores empty secrets', () => {
    const redact = createRedactor(['', 'a.b*c']);
    expect(redact('a.b*c axbbc')).toBe('*** axbbc');
  });

  it('returns text untouched when there are no secrets', () => {
    const redact = createRedactor([]);
    const text = 'nothing to hide';
    expect(redact(text)).toBe(text);
  });
});

describe('redactDeep()', () => {
  it('redacts strings in nested objects and arrays, keeps other values', () => {
    const redact = createRedactor(['tok3n']);
    const input = { a: 'Bearer tok3n', b: [1, 'tok3n', { c: true, d: 'x tok3n' }], e: null };
    expect(redactDeep(input, redact)).toEqual({ a: 'Bearer ***', b: [1, '***', { c: true, d: 'x ***' }], e: null });
    expect(input.a).toBe('Bearer tok3n');
  });
});

describe('redactDeep() of an Error', () => {
  function thrownHere(): Error {
    return Object.assign(new Error('token s3cr3t-VALUE refused'), { code: 'AUTH_INVALID_CREDENTIALS' });
  }
  it('keeps where it was thrown (its stack), with the secret scrubbed from stack and message', () => {
    const original = thrownHere();
    const copy = redactDeep({ err: original }, createRedactor(['s3cr3t-VALUE'])).err;
    expect(copy).toBeInstanceOf(Error);
    expect(copy.message).toBe('token *** refused');
    expect(copy.stack).toContain('thrownHere');
    expect(copy.stack).toContain('redact.test.ts');
    expect(copy.stack).not.toContain('s3cr3t-VALUE');
    expect(copy.stack).toBe(original.stack!.replace('s3cr3t-VALUE', '***'));
    expect(copy).toMatchObject({ name: 'Error', code: 'AUTH_INVALID_CREDENTIALS' });
    expect(original.message).toContain('s3cr3t-VALUE');
  });
});
