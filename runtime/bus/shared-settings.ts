import { join, resolve } from 'node:path';
import { ConnectorError } from '../errors/index.js';

/**
 * Pub/Sub settings that receivers (`serve --bus pubsub`) and workers (`worker`) must read alike, so
 * each flag and environment variable is interpreted here once for both commands.
 */
export interface SharedBusInput {
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

/** The environment variable naming the body store directory. */
export const BODIES_DIR_ENV = 'GWI_BODIES_DIR';
/** Its old name (serve read it before workers had a shared setting): still honoured, so existing receivers keep their directory. */
const DEPRECATED_BODIES_DIR_ENV = 'GWI_PUBSUB_BODY_DIR';

/**
 * Where large bodies (published with a `body_ref`) live: `--bodies`, else GWI_BODIES_DIR, else
 * `<data>/bodies`. Receivers write there and workers read there.
 */
export function resolveBodiesDir(input: SharedBusInput & { flag?: string | undefined }): string {
  const { flag, env } = input;
  const chosen = flag || env[BODIES_DIR_ENV] || env[DEPRECATED_BODIES_DIR_ENV];
  return resolve(chosen || join(input.dataDir, 'bodies'));
}

/** The Google Cloud project: `--bus-project`, else GWI_PUBSUB_PROJECT, else GOOGLE_CLOUD_PROJECT ('' if none). */
export function resolveProjectId(input: { flag?: string | undefined; env: NodeJS.ProcessEnv }): string {
  return input.flag || input.env['GWI_PUBSUB_PROJECT'] || input.env['GOOGLE_CLOUD_PROJECT'] || '';
}

const BOOLEAN: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

/**
 * Whether missing topics are created: `--no-create-topics` turns it off, else
 * GWI_PUBSUB_CREATE_TOPICS (true/false, 1/0, yes/no), else on.
 */
export function resolveCreateTopics(input: { flag?: boolean | undefined; env: NodeJS.ProcessEnv }): boolean {
  if (input.flag === false) return false;
  const raw = input.env['GWI_PUBSUB_CREATE_TOPICS'];
  if (raw === undefined || raw === '') return true;
  const value = BOOLEAN[raw.trim().toLowerCase()];
  if (value === undefined) {
    throw new ConnectorError('BUS_CONFIG', `GWI_PUBSUB_CREATE_TOPICS must be true or false, got "${raw}".`, {
      hint: 'Set GWI_PUBSUB_CREATE_TOPICS=false where the account may only publish (roles/pubsub.publisher) and the topics exist.',
    });
  }
  return value;
}
