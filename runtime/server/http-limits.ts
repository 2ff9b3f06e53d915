/**
 * How long the HTTP server waits on a client. Without these a client that opens a request and stops
 * sending holds its socket and the bytes read so far for good (40 sockets announcing 25 MB bodies
 * held 1.2 GB): Fastify turns Node's request timeout off, and Node sets no inactivity timeout.
 */
export interface HttpLimits {
  /** A socket that sends and receives nothing for this long is destroyed (request half-read or not). */
  idleTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this; otherwise 408 and the socket is closed. */
  requestTimeoutMs: number;
  /**
   * `close()` lets requests finish; after this long it cuts off the ones still being received (a
   * stalled upload), and after twice this long every connection left. An answer already being
   * worked on is not cut off at the first step, so nothing stored goes unanswered because of it.
   */
  closeGraceMs: number;
  /** Bytes of webhook bodies held in memory at once (being received or not yet stored); see upload-budget.ts. */
  uploadBufferBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { idleTimeoutMs: 30_000, requestTimeoutMs: 300_000, closeGraceMs: 10_000, uploadBufferBytes: 256 * 1024 * 1024 };

/** Node checks request and header deadlines on an interval (30 s by default); a short timeout needs a shorter one. */
export function checkingIntervalMs(limits: HttpLimits): number {
  return Math.max(5, Math.min(30_000, Math.floor(limits.requestTimeoutMs / 4)));
}
