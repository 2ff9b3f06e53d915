import type { IncomingMessage, ServerResponse } from 'node:http';

/** The requests a server has taken in and not yet answered, so shutdown can tell stalled uploads from answers being worked on. */
export interface InFlight {
  track(req: IncomingMessage, res: ServerResponse): void;
  /** Destroys the sockets of requests whose body has not fully arrived; returns how many. */
  cutOffIncomplete(): number;
}

export function createInFlight(): InFlight {
  const open = new Set<IncomingMessage>();
  return {
    track(req, res) {
      open.add(req);
      res.once('close', () => open.delete(req));
    },
    cutOffIncomplete() {
      let cut = 0;
      for (const req of open) {
        // `complete`: the whole message (headers and body) was received; such a request is answered.
        if (req.complete) continue;
        req.socket.destroy();
        open.delete(req);
        cut++;
      }
      return cut;
    },
  };
}
