import { describe, expect, it } from 'vitest';
import type { StreamState } from './messages.js';
import { normaliseStateInput } from './index.js';

const state = (name: string, cursor: string): StreamState => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: { cursor } } });

describe('normaliseStateInput', () => {
  it('accepts STATE messages, state objects, a single one, and keeps the last per stream', () => {
    expect(normaliseStateInput([{ type: 'STATE', state: state('a', '1') }, state('b', '2'), { type: 'RECORD', record: {} }, { type: 'STATE', state: state('a', '3') }])).toEqual([state('a', '3'), state('b', '2')]);
    expect(normaliseStateInput(state('a', '1'))).toEqual([state('a', '1')]);
  });
  it('accepts the legacy per-stream map', () => {
    expect(normaliseStateInput({ a: { cursor: '1' } })).toEqual([state('a', '1')]);
  });
  it('rejects other shapes with STATE_INVALID', () => {
    expect(() => normaliseStateInput([{ type: 'STATE', state: { type: 'GLOBAL', global: {} } }])).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
    expect(() => normaliseStateInput([42])).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
    expect(() => normaliseStateInput([{ type: 'STREAM', stream: {} }])).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
  });
});
