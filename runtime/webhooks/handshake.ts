import { ConnectorError } from '../errors/index.js';
import { compileExpression } from '../expressions/index.js';
import type { WebhookHandshakeNode } from './schema.js';

export interface HandshakeAnswer {
  status: number;
  /** Sent as JSON. */
  body: unknown;
}

/**
 * The answer to a verified request that is one of the provider's handshakes (`webhooks.handshakes`),
 * or undefined for a delivery. `payload` is the parsed body (the caller parses it once, for the
 * handshakes and then the delivery's keys). Throws WEBHOOK_MISCONFIGURED when an expression fails or
 * `respond` gives nothing JSON can carry (nothing, or a function): the manifest's fault, not the sender's.
 */
export async function answerHandshake(handshakes: readonly WebhookHandshakeNode[], payload: unknown, headers: Readonly<Record<string, string>>): Promise<HandshakeAnswer | undefined> {
  const bindings = { headers };
  for (const [index, handshake] of handshakes.entries()) {
    const where = `webhooks.handshakes[${index}]`;
    if (!(await evaluate(handshake.when, payload, bindings, `${where}.when`))) continue;
    const body = await evaluate(handshake.respond, payload, bindings, `${where}.respond`);
    const problem = notJson(body);
    if (problem !== undefined) {
      throw new ConnectorError('WEBHOOK_MISCONFIGURED', `${where}.respond gave ${problem} for this request${problem === 'nothing' ? '' : ', which is not JSON'}`, {
        location: { path: `${where}.respond` },
        hint: 'Make `respond` give JSON built from the handshake request (its `when` matched it), e.g. "{ \'challenge\': challenge }".',
      });
    }
    return { status: handshake.status ?? 200, body };
  }
  return undefined;
}

/** What keeps `value` from being sent as JSON (nothing, a function), or undefined when it is JSON. */
function notJson(value: unknown): string | undefined {
  if (value === undefined) return 'nothing';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : String(value);
  if (typeof value !== 'object') return `a ${typeof value}`;
  // JSONata gives functions as objects with these markers (a lambda also holds its environment).
  if ('_jsonata_function' in value || '_jsonata_lambda' in value) return 'a function';
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const problem = item === undefined && !Array.isArray(value) ? undefined : notJson(item);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

async function evaluate(source: string, payload: unknown, bindings: Record<string, unknown>, path: string): Promise<unknown> {
  try {
    return await compileExpression(source).evaluate(payload, bindings);
  } catch (cause) {
    throw new ConnectorError('WEBHOOK_MISCONFIGURED', `${path} failed for this request: ${cause instanceof Error ? cause.message : String(cause)}`, {
      location: { path }, cause, hint: 'Fix the expression in the manifest.',
    });
  }
}
