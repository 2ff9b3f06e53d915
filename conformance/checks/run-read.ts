import type { AirbyteMessage, ConfiguredCatalog, StreamState } from '../../runtime/protocol/messages.js';
import type { Connector } from '../../runtime/sync/types.js';
import type { SuiteContext } from './types.js';

export interface ReadOutcome {
  records: Map<string, Record<string, unknown>[]>;
  /** STATE messages per stream, in order. */
  states: Map<string, StreamState[]>;
  /** TRACE errors (and a thrown error, as one more entry). */
  errors: Array<{ message: string; failureType: string; stream?: string; code?: string }>;
  connector: Connector;
  /** True when the suite stopped the read (too many records: pagination that never stops). */
  aborted: boolean;
}

/** Above this many records in one read, the suite assumes pagination never stops. */
export const RECORD_CAP = 200_000;
/** Real time one read may take. */
export const READ_TIMEOUT_MS = 120_000;

/** Run a read to the end (or the cap), collecting records, states and errors. */
export async function runRead(ctx: SuiteContext, url: string, catalog?: ConfiguredCatalog, state?: StreamState[], reuse?: Connector): Promise<ReadOutcome> {
  const controller = new AbortController();
  const connector =
    reuse ??
    ctx.createConnector({
      manifest: ctx.manifest,
      config: ctx.config,
      urlBaseOverride: url,
      connectionId: `conformance-${Math.random().toString(36).slice(2)}`,
      now: ctx.clock.now,
      sleep: ctx.clock.sleep,
      signal: controller.signal,
    });
  const outcome: ReadOutcome = { records: new Map(), states: new Map(), errors: [], connector, aborted: false };
  let count = 0;
  const iterator = connector.read(catalog, state)[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  // Waits are virtual, so a read that takes minutes of real time is stuck: stop it and say so.
  const stuck = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), READ_TIMEOUT_MS);
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stuck]);
      if (next === 'stuck') {
        controller.abort(new Error('conformance: read timeout'));
        outcome.errors.push({ message: `the read did not finish within ${READ_TIMEOUT_MS / 1000} s (waits are virtual: something is stuck)`, failureType: 'timeout' });
        void iterator.return?.();
        break;
      }
      if (next.done) break;
      const message = next.value;
      collect(outcome, message);
      if (message.type === 'RECORD' && ++count > RECORD_CAP) {
        outcome.aborted = true;
        controller.abort(new Error('conformance: record cap reached'));
        void iterator.return?.();
        break;
      }
    }
  } catch (error) {
    if (!outcome.aborted) {
      const e = error as { message?: string; code?: string };
      outcome.errors.push({ message: e.message ?? String(error), failureType: 'thrown', ...(e.code ? { code: e.code } : {}) });
    }
  } finally {
    clearTimeout(timer);
    if (!reuse) await connector.close().catch(() => undefined);
  }
  return outcome;
}

function collect(outcome: ReadOutcome, message: AirbyteMessage): void {
  if (message.type === 'RECORD') {
    const list = outcome.records.get(message.record.stream) ?? [];
    list.push(message.record.data);
    outcome.records.set(message.record.stream, list);
  } else if (message.type === 'STATE') {
    const name = message.state.stream.stream_descriptor.name;
    const list = outcome.states.get(name) ?? [];
    list.push(message.state);
    outcome.states.set(name, list);
  } else if (message.type === 'TRACE' && message.trace.type === 'ERROR') {
    const { error } = message.trace;
    outcome.errors.push({
      message: error.message,
      failureType: error.failure_type,
      ...(error.stream_descriptor ? { stream: error.stream_descriptor.name } : {}),
      ...(codeOf(error.internal_message, error.message) ? { code: codeOf(error.internal_message, error.message)! } : {}),
    });
  }
}

/** The engine puts the code in `internal_message`; ConnectorError.format() also ends with `[CODE]`. */
function codeOf(internal: string | undefined, message: string): string | undefined {
  if (internal && /^[A-Z][A-Z0-9_]+$/.test(internal)) return internal;
  return /\[([A-Z][A-Z0-9_]+)\]\s*$/.exec(message)?.[1];
}

export function errorsFor(outcome: ReadOutcome, stream: string) {
  return outcome.errors.filter((e) => e.stream === undefined || e.stream === stream);
}
