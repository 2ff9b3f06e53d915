import { ConnectorError } from '../errors/index.js';
import { compileExpression } from '../expressions/index.js';
import { parseBody } from './parse-delivery.js';
import type { WebhookHandshakeNode } from './schema.js';

export interface HandshakeAnswer {
  status: number;
  /** Sent as JSON. */
  body: unknown;
}

/**
 * The answer to a verified request that is one of the provider's handshakes (`webhooks.handshakes`),
 * or undefined for a delivery. A body that cannot be parsed is no handshake: the delivery path then
 * refuses it with its own message. Throws WEBHOOK_MISCONFIGURED when an expression fails or `respond`
 * gives nothing: the manifest's fault, not the sender's.
 */
export async function answerHandshake(
  handshakes: readonly WebhookHandshakeNode[], rawBody: Buffer, headers: Readonly<Record<string, string>>, contentType: string | undefined,
): Promise<HandshakeAnswer | undefined> {
  let payload: unknown;
  try {
    payload = parseBody(rawBody, contentType);
  } catch {
    return undefined;
  }
  const bindings = { headers };
  for (const [index, handshake] of handshakes.entries()) {
    const where = `webhooks.handshakes[${index}]`;
    if (!(await evaluate(handshake.when, payload, bindings, `${where}.when`))) continue;
    const body = await evaluate(handshake.respond, payload, bindings, `${where}.respond`);
    if (body === undefined) {
      throw new ConnectorError('WEBHOOK_MISCONFIGURED', `${where}.respond gave nothing for this request`, {
        location: { path: `${where}.respond` },
        hint: 'Make `respond` read fields the handshake request has (its `when` matched it), e.g. "{ \'challenge\': challenge }".',
      });
    }
    return { status: handshake.status ?? 200, body };
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
