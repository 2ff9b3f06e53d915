import type { IncomingMessage } from 'node:http';

/**
 * The webhook uploads whose body is still arriving, so shutdown can cut off a stalled one without
 * touching requests received in full (those are answered). Kept by the webhook receiver: an add and
 * a delete per request, on the hottest path, with no listener of its own.
 */
export interface Uploads {
  start(req: IncomingMessage): void;
  /** The body arrived (or the request ended otherwise). */
  end(req: IncomingMessage): void;
  /** Destroys the sockets of uploads still arriving; returns how many. */
  cutOff(): number;
}

export function createUploads(): Uploads {
  const arriving = new Set<IncomingMessage>();
  return {
    start: (req) => void arriving.add(req),
    end: (req) => void arriving.delete(req),
    cutOff() {
      const cut = arriving.size;
      for (const req of arriving) req.socket.destroy();
      arriving.clear();
      return cut;
    },
  };
}
