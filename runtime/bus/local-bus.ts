import type { Bus } from './bus.js';

/** The single-machine bus: a no-op, because the SQLite inbox already is the durable queue. */
export function createLocalBus(): Bus {
  return {
    kind: 'local',
    publishDelivery: async () => {},
    publishRecords: async () => {},
    close: async () => {},
  };
}
