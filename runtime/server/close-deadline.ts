import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Uploads } from './in-flight.js';

/**
 * Bounds a closing server's wait. After `graceMs`, requests still being received (a stalled or slow
 * upload: nothing of it is stored or acknowledged) have their sockets destroyed; requests received
 * in full keep their socket, so a delivery being stored is still answered. After twice `graceMs`,
 * every connection left is closed, so `close()` ends whatever a client or a slow answer does.
 */
export function closeDeadline(server: Server, uploads: Uploads, graceMs: number, logger?: Pick<Logger, 'warn'>): void {
  const incomplete = setTimeout(() => {
    const cut = uploads.cutOff();
    if (cut > 0) logger?.warn({ requests: cut, grace_ms: graceMs }, 'shutting down: cut off requests whose body was still arriving');
  }, graceMs);
  const everything = setTimeout(() => {
    logger?.warn({ grace_ms: 2 * graceMs }, 'shutting down: closing the connections still open');
    server.closeAllConnections();
  }, 2 * graceMs);
  // Never what keeps the process alive; cleared once the server has closed.
  incomplete.unref();
  everything.unref();
  server.once('close', () => {
    clearTimeout(incomplete);
    clearTimeout(everything);
  });
}
