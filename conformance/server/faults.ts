import { createRng } from './rng.js';
import type { Handler, LocalRequest } from './serve.js';

/** Fault rates are probabilities in [0, 1] per request. */
export interface FaultOptions {
  seed?: number | string;
  /** 429 Too Many Requests with `Retry-After: retryAfterSeconds`. */
  rateLimited?: number;
  retryAfterSeconds?: number;
  /** Start a burst of `burst` consecutive 5xx answers (500/502/503). */
  serverErrors?: number;
  burst?: number;
  /** Destroy the socket before answering. */
  connectionResets?: number;
  /** Answer after `slowMs` (real time: keep it small). */
  slow?: number;
  slowMs?: number;
  /** Send half of the body, then cut the connection. */
  truncated?: number;
  /**
   * Start with one fault of each configured kind (one request each) before drawing at random, so
   * that a short run still meets every kind. Default true.
   */
  everyKindFirst?: boolean;
  /**
   * Most faults in a row for one request (method, path, query): after that it goes through, so a
   * client that retries a few times always gets its data. Default 2.
   */
  maxConsecutive?: number;
}

export interface FaultStats {
  requests: number;
  rateLimited: number;
  serverErrors: number;
  connectionResets: number;
  slow: number;
  truncated: number;
}

export interface FaultInjector {
  wrap(handler: Handler): Handler;
  stats(): FaultStats;
}

type Fault = 'rateLimited' | 'serverErrors' | 'connectionResets' | 'slow' | 'truncated';

/**
 * Wrap a handler (cassette replay, simulated API, anything) with faults drawn from a seeded
 * generator: the same seed gives the same schedule for the same request sequence.
 */
export function createFaultInjector(options: FaultOptions = {}): FaultInjector {
  const rng = createRng(options.seed ?? 1);
  const maxConsecutive = options.maxConsecutive ?? 2;
  const streak = new Map<string, number>();
  let burstLeft = 0;
  const stats: FaultStats = { requests: 0, rateLimited: 0, serverErrors: 0, connectionResets: 0, slow: 0, truncated: 0 };
  const order: Fault[] = ['rateLimited', 'serverErrors', 'connectionResets', 'truncated', 'slow'];

  const queue: Fault[] = options.everyKindFirst === false ? [] : order.filter((f) => (options[f] ?? 0) > 0);
  const choose = (key: string): Fault | undefined => {
    if ((streak.get(key) ?? 0) >= maxConsecutive) {
      streak.set(key, 0);
      return undefined;
    }
    const first = queue.shift();
    if (first) return first;
    if (burstLeft > 0) {
      burstLeft--;
      return 'serverErrors';
    }
    for (const fault of order) {
      const rate = options[fault] ?? 0;
      if (rate > 0 && rng.next() < rate) {
        if (fault === 'serverErrors') burstLeft = Math.max(0, (options.burst ?? 1) - 1);
        return fault;
      }
    }
    return undefined;
  };

  return {
    stats: () => ({ ...stats }),
    wrap: (handler) => async (request, raw) => {
      stats.requests++;
      const key = requestKey(request);
      const fault = choose(key);
      if (fault === undefined || fault === 'slow') streak.set(key, 0);
      else streak.set(key, (streak.get(key) ?? 0) + 1);
      if (fault) stats[fault]++;
      switch (fault) {
        case 'rateLimited':
          return { status: 429, headers: { 'retry-after': String(options.retryAfterSeconds ?? 1), 'content-type': 'application/json' }, body: '{"message":"rate limited (injected)"}' };
        case 'serverErrors':
          return { status: rng.pick([500, 502, 503]), headers: { 'content-type': 'application/json' }, body: '{"message":"server error (injected)"}' };
        case 'connectionResets':
          raw.req.socket.destroy();
          return 'handled';
        case 'slow':
          await new Promise((resolve) => setTimeout(resolve, options.slowMs ?? 20));
          return handler(request, raw);
        case 'truncated': {
          const response = await handler(request, raw);
          if (response === 'handled') return response;
          const body = Buffer.from(response.body ?? '');
          raw.res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
          raw.res.write(body.subarray(0, Math.floor(body.length / 2)));
          // Cut the connection mid-body, as a proxy or a crashed server would.
          setImmediate(() => raw.req.socket.destroy());
          return 'handled';
        }
        default:
          return handler(request, raw);
      }
    },
  };
}

function requestKey(request: LocalRequest): string {
  return `${request.method} ${request.path}?${request.query.map(([k, v]) => `${k}=${v}`).sort().join('&')} ${request.body.toString('utf8')}`;
}
