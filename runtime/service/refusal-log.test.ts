import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRefusalLog } from './refusal-log.js';

describe('createRefusalLog', () => {
  it('logs one line per connection and reason a window, and the next line says how many were not logged', () => {
    const lines: Array<{ msg: string; connection: string; reason: string; unlogged?: number }> = [];
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
    let clock = 0;
    const log = createRefusalLog(logger, () => clock, 60_000);
    for (let i = 0; i < 1000; i++) log('acme', 'mismatch', 'signature does not match the body');
    log('acme', 'missing_header', 'missing signature header X-Hub-Signature-256');
    log('other', 'mismatch', 'signature does not match the body');
    expect(lines.map((l) => [l.connection, l.reason, l.unlogged])).toEqual([['acme', 'mismatch', undefined], ['acme', 'missing_header', undefined], ['other', 'mismatch', undefined]]);
    expect(lines[0]!.msg).toBe('webhook refused: signature does not match the body');

    clock = 59_999;
    log('acme', 'mismatch', 'signature does not match the body');
    expect(lines).toHaveLength(3);
    clock = 60_000;
    log('acme', 'mismatch', 'signature does not match the body');
    expect(lines.at(-1)).toMatchObject({
      connection: 'acme', reason: 'mismatch', unlogged: 1000,
      msg: 'webhook refused: signature does not match the body (1000 more refused for the same reason since the last line, not logged; the metrics count each)',
    });
  });
});
