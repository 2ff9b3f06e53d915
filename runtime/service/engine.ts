import { ConnectorError } from '../errors/index.js';
import type { Connector, ConnectorOptions } from '../sync/types.js';

type CreateConnector = (options: ConnectorOptions) => Connector | Promise<Connector>;

// The engine (runtime/sync) is built in parallel with the service: it is loaded on first use so the
// service starts, and accepts webhooks, even in a build where the engine is missing.
const SYNC_MODULE = '../sync/index.js';
let loaded: Promise<CreateConnector> | undefined;

/** `createConnector` from runtime/sync. */
export function engineCreateConnector(): Promise<CreateConnector> {
  loaded ??= (import(SYNC_MODULE) as Promise<{ createConnector?: CreateConnector }>).then(
    (mod) => {
      if (typeof mod.createConnector !== 'function') throw new Error('runtime/sync does not export createConnector');
      return mod.createConnector;
    },
    (cause: unknown) => {
      loaded = undefined;
      throw new ConnectorError('CUSTOM_NOT_FOUND', 'the sync engine (runtime/sync) is not available in this build', { cause });
    },
  );
  return loaded;
}
