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

describe('normaliseCatalogInput', () => {
  it('accepts a configured catalog and names what is wrong in a bad one', async () => {
    const { normaliseCatalogInput } = await import('./index.js');
    const good = { streams: [{ stream: { name: 'a', json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: 'full_refresh', destination_sync_mode: 'append' }] };
    expect(normaliseCatalogInput(good)).toBe(good);
    expect(() => normaliseCatalogInput({})).toThrow(expect.objectContaining({ code: 'CATALOG_INVALID' }));
    expect(() => normaliseCatalogInput({ streams: [{ stream: { name: 'a' }, sync_mode: 'sometimes' }] })).toThrow(/sometimes/);
  });
});
