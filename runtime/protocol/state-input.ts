import { ConnectorError } from '../errors/index.js';
import type { StreamState } from './messages.js';

/**
 * The state a read starts from, in any of the shapes people keep it in:
 * - an array of STATE messages (`{ "type": "STATE", "state": {...} }`), e.g. the lines `read` printed;
 * - an array of their `state` objects (`{ "type": "STREAM", "stream": {...} }`);
 * - one of either, not in an array;
 * - Airbyte's legacy per-stream map `{ "<stream>": { ...stream state } }`.
 * Later entries for a stream win, so a whole `read` output can be passed as it is.
 */
export function normaliseStateInput(raw: unknown, source = 'state'): StreamState[] {
  if (raw === undefined || raw === null) return [];
  const entries = Array.isArray(raw) ? raw : isLegacyMap(raw) ? legacyEntries(raw as Record<string, unknown>) : [raw];
  const byStream = new Map<string, StreamState>();
  entries.forEach((entry, index) => {
    if (isRecordOrOther(entry)) return; // other protocol lines (RECORD, TRACE) of a read output
    const state = (entry as { type?: string }).type === 'STATE' ? (entry as { state?: unknown }).state : entry;
    const stream = (state as StreamState | undefined)?.stream;
    if ((state as { type?: unknown } | undefined)?.type !== 'STREAM' || typeof stream?.stream_descriptor?.name !== 'string' || !isObject(stream.stream_state)) {
      throw new ConnectorError('STATE_INVALID', `${source}: entry ${index} is neither a STATE message nor a per-stream state`, {
        hint: 'Pass the STATE messages emitted by `read` (or their `state` objects) as a JSON array.',
        context: { index },
      });
    }
    byStream.set(stream.stream_descriptor.name, state as StreamState);
  });
  return [...byStream.values()];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const OTHER_MESSAGES = new Set(['RECORD', 'TRACE', 'LOG', 'SPEC', 'CATALOG', 'CONNECTION_STATUS']);

function isRecordOrOther(entry: unknown): boolean {
  return isObject(entry) && typeof entry.type === 'string' && OTHER_MESSAGES.has(entry.type);
}

/** `{ "issues": { "cursor": ... } }`: no `type` key, every value an object. */
function isLegacyMap(raw: unknown): boolean {
  return isObject(raw) && !('type' in raw) && Object.values(raw).every(isObject);
}

function legacyEntries(raw: Record<string, unknown>): StreamState[] {
  return Object.entries(raw).map(([name, stream_state]) => ({
    type: 'STREAM',
    stream: { stream_descriptor: { name }, stream_state: stream_state as Record<string, unknown> },
  }));
}
