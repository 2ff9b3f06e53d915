import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { lines, destination };
}

describe('createLogger', () => {
  it('censors credential fields by path and scrubs known secret values anywhere', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, secrets: () => ['ghp_supersecret'] });
    log.info({ config: { token: 'abc' }, note: 'sent ghp_supersecret upstream', nested: { list: ['x ghp_supersecret'] } }, 'msg with ghp_supersecret');
    log.error(new Error('bad token ghp_supersecret'));
    const text = lines.join('');
    expect(text).not.toContain('ghp_supersecret');
    expect(text).not.toContain('"abc"');
    expect(text).toContain('[redacted]');
    expect(text).toContain('***');
  });
});
