import { describe, expect, it } from 'vitest';
import { ConnectorError, type ErrorCode } from '../errors/index.js';
import { errorTrace, failureType } from './messages.js';

describe('failureType', () => {
  const cases: Array<{ code: ErrorCode; expected: string }> = [
    { code: 'AUTH_INVALID_CREDENTIALS', expected: 'config_error' },
    { code: 'CONFIG_INVALID', expected: 'config_error' },
    { code: 'CATALOG_INVALID', expected: 'config_error' },
    { code: 'RATE_LIMITED', expected: 'transient_error' },
    { code: 'HTTP_NETWORK', expected: 'transient_error' },
    { code: 'HTTP_TIMEOUT', expected: 'transient_error' },
    { code: 'CIRCUIT_OPEN', expected: 'transient_error' },
    { code: 'PAGINATION_LOOP', expected: 'system_error' },
    { code: 'MAPPING_FAILED', expected: 'system_error' },
  ];
  for (const { code, expected } of cases) {
    it(`${code} → ${expected}`, () => expect(failureType(new ConnectorError(code, 'x'))).toBe(expected));
  }
  it('an unexpected error is a system_error with its stack', () => {
    const trace = errorTrace(new TypeError('boom'), 1, 'issues');
    expect(trace).toMatchObject({ trace: { type: 'ERROR', error: { message: 'boom', failure_type: 'system_error', internal_message: 'TypeError', stream_descriptor: { name: 'issues' } } } });
  });
  it('a ConnectorError is shown in its one-line format with hint and code', () => {
    const trace = errorTrace(new ConnectorError('PAGINATION_LOOP', 'stream issues: same token', { hint: 'Check the token.' }), 1);
    expect(trace).toMatchObject({ trace: { error: { message: 'stream issues: same token. Check the token. [PAGINATION_LOOP]', internal_message: 'PAGINATION_LOOP' } } });
  });
});
