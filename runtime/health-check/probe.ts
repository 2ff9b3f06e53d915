import type { Authenticator } from '../auth/index.js';
import type { Scope } from '../expressions/index.js';
import { buildRequest, sendOnce, type RequesterNode } from '../http/index.js';
import type { HealthCheckNode } from '../manifest/index.js';

export interface HealthProbeResult {
  status: 'ok' | 'down';
  /** The HTTP status answered, null when nothing answered (timeout, refused). */
  http_status: number | null;
  latency_ms: number;
  checked_at: string;
  /** Why it is down; never holds a secret (no URL query, no headers). */
  error: string | null;
}

export interface ProbeContext {
  requester: RequesterNode;
  /** The connection's own authenticator, so a probe never mints or rotates tokens of its own. */
  auth: Authenticator;
  scope: Scope;
  urlBaseOverride?: string;
  now?: () => Date;
}

/**
 * The manifest's `health_check`: one GET of `path`, no retries and outside the circuit breaker (a
 * probe reports reachability; it must not open the breaker a sync depends on). Up when the status
 * is `expected_status` within `timeout_seconds`.
 */
export async function probeHealth(node: HealthCheckNode, ctx: ProbeContext): Promise<HealthProbeResult> {
  const now = ctx.now ?? (() => new Date());
  const started = now();
  const result = (status: 'ok' | 'down', http: number | null, error: string | null): HealthProbeResult => ({
    status,
    http_status: http,
    latency_ms: Math.max(0, now().getTime() - started.getTime()),
    checked_at: started.toISOString(),
    error,
  });
  try {
    const request = await buildRequest(ctx.requester, { method: 'GET', path: node.path }, ctx.scope, ctx.urlBaseOverride);
    request.label = 'health_check';
    await ctx.auth.apply(request);
    const response = await sendOnce(request, node.timeout_seconds * 1000, undefined);
    if (response.status === node.expected_status) return result('ok', response.status, null);
    return result('down', response.status, `GET ${node.path} answered ${response.status}, expected ${node.expected_status}`);
  } catch (error) {
    return result('down', null, `GET ${node.path} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
