import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server on 127.0.0.1 standing in for a provider's API in service tests. */
export interface LocalApi {
  server: Server;
  /** Its base URL, for ServiceOptions.urlBaseOverride. */
  base: string;
  /** Drops open connections (requests held unanswered too) and stops listening. */
  close(): Promise<void>;
}

export async function startLocalApi(handler: RequestListener): Promise<LocalApi> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
