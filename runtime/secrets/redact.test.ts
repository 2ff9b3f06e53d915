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
