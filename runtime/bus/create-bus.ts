import { ConnectorError } from '../errors/index.js';
import type { Bus } from './bus.js';
import { createFileBodyStore } from './file-body-store.js';
import { createLocalBus } from './local-bus.js';
import { resolveBodiesDir, resolveCreateTopics, resolveProjectId } from './shared-settings.js';

export type BusKind = Bus['kind'];

export interface BusSettings {
  /** `--bus`, else `GWI_BUS`, else "local". */
  kind?: string;
  /** `--bus-project`, else `GWI_PUBSUB_PROJECT`, else `GOOGLE_CLOUD_PROJECT`. */
  projectId?: string;
  /** `--bodies`, else `GWI_BODIES_DIR`, else `<dataDir>/bodies`: bodies over the message limit, shared with workers. */
  bodiesDir?: string;
  /** false from `--no-create-topics`; else `GWI_PUBSUB_CREATE_TOPICS`, else true. */
  createTopics?: boolean;
  /** PubSubBusOptions.requireSubscription: `serve --no-dispatch`. */
  requireSubscription?: boolean;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}

// The Pub/Sub client (and gRPC under it) is loaded only for the Pub/Sub bus: it costs ~0.3 s of
// start-up CPU that a local-bus `serve` has no use for.
const FACTORIES: { [K in BusKind]: (settings: BusSettings, env: NodeJS.ProcessEnv) => Bus | Promise<Bus> } = {
  local: () => createLocalBus(),
  pubsub: async (settings, env) => {
    const projectId = resolveProjectId({ flag: settings.projectId, env });
    if (!projectId) {
      throw new ConnectorError('BUS_CONFIG', 'The Pub/Sub bus needs a Google Cloud project id.', {
        hint: 'Set GWI_PUBSUB_PROJECT (any id works with PUBSUB_EMULATOR_HOST).',
      });
    }
    const bodyStore = createFileBodyStore(resolveBodiesDir({ flag: settings.bodiesDir, dataDir: settings.dataDir, env }));
    await bodyStore.check('write'); // at start, not on the first large body

    const createTopics = resolveCreateTopics({ flag: settings.createTopics, env });
    const { createPubSubBus } = await import('./pubsub-bus.js');
    return createPubSubBus({ projectId, bodyStore, createTopics, ...(settings.requireSubscription ? { requireSubscription: true } : {}) });
  },
};

/** The bus `serve` runs with, from flags and environment. */
export async function createBus(settings: BusSettings): Promise<Bus> {
  const env = settings.env ?? process.env;
  const kind = settings.kind ?? env['GWI_BUS'] ?? 'local';
  if (!(kind in FACTORIES)) {
    throw new ConnectorError('BUS_CONFIG', `Unknown bus "${kind}".`, { hint: `Use one of: ${Object.keys(FACTORIES).join(', ')}.` });
  }
  return FACTORIES[kind as BusKind](settings, env);
}
