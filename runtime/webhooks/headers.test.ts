import { describe, expect, it } from 'vitest';
import { keptHeaders } from './headers.js';
import type { SignatureNode } from './schema.js';

describe('keptHeaders', () => {
  const token: SignatureNode = { type: 'token', header: 'X-Gitlab-Token', secret: '{{ config.webhook_token }}' };
  const hmac: SignatureNode = { type: 'hmac', algorithm: 'sha256', header: 'X-Hub-Signature-256', prefix: 'sha256=', encoding: 'hex', secret: '{{ config.webhook_secret }}' };

  it("drops a token rule's header and credential headers, keeps the rest; the same object back when there are none", () => {
    const sent = { 'x-gitlab-token': 'glpat-x', 'x-gitlab-event': 'Push Hook', authorization: 'Bearer a', 'proxy-authorization': 'Basic b', cookie: 'c=1' };
    expect(keptHeaders(sent, token)).toEqual({ 'x-gitlab-event': 'Push Hook' });
    expect(sent).toHaveProperty('x-gitlab-token'); // not changed in place: the verifier read it
    const github = { 'x-hub-signature-256': 'sha256=ab', 'x-github-event': 'issues' };
    expect(keptHeaders(github, hmac)).toBe(github);
    // Without the rule (a row an older release stored): the credential headers go.
    expect(keptHeaders({ 'x-gitlab-token': 'glpat-x', cookie: 'c=1' }, undefined)).toEqual({ 'x-gitlab-token': 'glpat-x' });
  });
});
