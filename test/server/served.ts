import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { HttpLimits } from '../../runtime/server/http-limits.js';
import { buildApp } from '../../runtime/server/index.js';
import { createService, type ServiceOptions } from '../../runtime/service/index.js';
import { ADMIN, hooksManifest, SECRET, tempDir, TEST_ENV } from '../service/fixtures.js';

/** A service with the hooks connector and connection `acme`, its app listening on 127.0.0.1 with the given limits. */
export async function listeningService(dir: string, limits: Partial<HttpLimits>, { appLogger, ...options }: Partial<ServiceOptions> & { appLogger?: Logger } = {}, addAcme = true) {
  const service = await createService({ dataDir: dir, manifests: [hooksManifest()], env: TEST_ENV, background: false, ...options });
  if (addAcme && !service.getConnection('acme')) {
    service.putConnection({ id: 'acme', connector: 'hooks', config: { webhook_secret: SECRET } }, 'api');
  }
  const app: FastifyInstance = await buildApp({ service, adminToken: ADMIN, limits, ...(appLogger ? { logger: appLogger } : {}) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    service, app, port,
    async close() {
      await app.close();
      await service.close();
    },
  };
}

type Served = Awaited<ReturnType<typeof listeningService>>;

/** A temp dir per test, and the service started in it (if any) closed after the test. */
export function servedPerTest() {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let served: Served | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await served?.close();
    served = undefined;
    tmp?.cleanup();
  });
  return {
    get dir() {
      return tmp!.dir;
    },
    async start(...args: Parameters<typeof listeningService> extends [string, ...infer R] ? R : never): Promise<Served> {
      served = await listeningService(tmp!.dir, ...args);
      return served;
    },
  };
}
