/**
 * The bytes of webhook bodies held in memory at once: received (in full or not yet) and not yet
 * stored. Bodies are read whole before their signature can be checked, so without a cap anyone who
 * knows a webhook URL could hold 25 MiB per socket (a few hundred sockets end the process). Past the
 * budget a new body is refused unread (503 SERVER_BUSY): the service stays up for the bodies it has.
 */
export interface UploadBudget {
  /** Whether `bytes` more fit now (an announced Content-Length, before anything is read). */
  fits(bytes: number): boolean;
  /** Takes `bytes` if they fit; false (and nothing taken) if not. */
  take(bytes: number): boolean;
  release(bytes: number): void;
  /** Bytes held now. */
  held(): number;
}

export function createUploadBudget(limitBytes: number): UploadBudget {
  let held = 0;
  return {
    fits: (bytes) => held + bytes <= limitBytes,
    take(bytes) {
      if (held + bytes > limitBytes) return false;
      held += bytes;
      return true;
    },
    release(bytes) {
      held -= bytes;
    },
    held: () => held,
  };
}
