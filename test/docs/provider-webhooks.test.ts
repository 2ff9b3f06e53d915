import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadManifest, type LoadedManifest } from '../../runtime/manifest/index.js';
import { createService } from '../../runtime/service/index.js';
import { auth, TEST_ENV, tempDir, withApp } from '../service/fixtures.js';

/**
 * The manifests of docs/examples/webhooks/ (linked from docs/service.md "Signature rules"), loaded as
 * files and served in process: each gets deliveries shaped and signed as its provider sends them
 * (published vectors from PROVIDERS.md where there is one), and what the docs promise is checked end
 * to end: accepted, the provider's retry deduplicated and stored once, mapped to a record, a wrong
 * secret refused; plus each provider's setup and notice requests.
 */

const EXAMPLES = resolve(import.meta.dirname, '..', '..', 'docs', 'examples', 'webhooks');
const PROVIDERS = ['jira', 'linear', 'plane', 'slack', 'gitlab-token', 'gitlab-signed'] as const;
type Provider = (typeof PROVIDERS)[number];

const SECRETS = {
  jira: { webhook_secret: 'jira-secret-0123456789abcdef', webhook_secret_previous: 'jira-old-secret-0123456789' },
  linear: { webhook_secret: 'lin_wh_secret_0123456789abcdef', webhook_secret_previous: 'lin_wh_old_0123456789abcdef' },
  plane: { webhook_secret: 'plane_wh_secret_0123456789abcdef', webhook_secret_previous: 'plane_wh_old_0123456789abcdef' },
  // Slack's published signing secret (PROVIDERS.md vector).
  slack: { signing_secret: '8f742231b10e8888abcd99yyyzzz85a5', signing_secret_previous: 'slack-old-signing-secret-0123456' },
  'gitlab-token': { webhook_token: 'gitlab-token-0123456789abcdef', webhook_token_previous: 'gitlab-old-token-0123456789' },
  // The Standard Webhooks published secret (PROVIDERS.md vector).
  'gitlab-signed': { signing_token: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', signing_token_previous: 'whsec_' + Buffer.from('the previous signing token!').toString('base64') },
} satisfies Record<Provider, Record<string, string>>;

let manifests: LoadedManifest[];
let tmp: ReturnType<typeof tempDir>;
/** Seconds; the service's clock (timestamps are checked against it, never against the wall clock). */
let clock: number;
let ctx: Awaited<ReturnType<typeof start>>;

beforeAll(async () => {
  // Loading them as files is the `validate` check: a manifest that does not validate throws here.
  manifests = await Promise.all(PROVIDERS.map((name) => loadManifest(resolve(EXAMPLES, `${name}.yaml`))));
});

async function start() {
  const service = await createService({ dataDir: tmp.dir, manifests, env: TEST_ENV, now: () => clock * 1000, background: false, probeIntervalMs: 0 });
  for (const name of PROVIDERS) service.putConnection({ id: `acme-${name}`, connector: name, config: { ...SECRETS[name] } }, 'api');
  return withApp(service);
}

beforeEach(async () => {
  tmp = tempDir();
  clock = Math.floor(Date.now() / 1000);
  ctx = await start();
});
afterEach(async () => {
  await ctx.close();
  tmp.cleanup();
});

interface Answer { statusCode: number; body: string; headers: Record<string, unknown>; json(): unknown }
const post = (provider: Provider, body: string, headers: Record<string, string>): Promise<Answer> =>
  ctx.app.inject({ method: 'POST', url: `/webhooks/${provider}/acme-${provider}`, payload: body, headers });
const reply = (r: Answer) => [r.statusCode, r.json()];
const errorCode = (r: Answer) => (r.json() as { error?: { code?: string } }).error?.code;
const deliveries = async (provider: Provider) =>
  ((await ctx.app.inject({ method: 'GET', url: `/api/deliveries?connection=acme-${provider}&limit=50`, headers: auth })).json() as { deliveries: Array<{ id: string; event: string; status: string }> }).deliveries;
/** Runs the dispatcher over what is due, then reads the stream's records through the admin API. */
async function records(provider: Provider, stream: string): Promise<Array<Record<string, unknown>>> {
  await ctx.service.dispatcher.drainOnce();
  const listed = await ctx.app.inject({ method: 'GET', url: `/api/connections/acme-${provider}/records/${stream}?limit=100`, headers: auth });
  expect(listed.statusCode).toBe(200);
  return (listed.json() as { records: Array<Record<string, unknown>> }).records;
}
const hmacHex = (secret: string, content: string) => createHmac('sha256', secret).update(content).digest('hex');

it('docs/service.md "Signature rules" links every example proven here', () => {
  const text = readFileSync(resolve(EXAMPLES, '..', '..', 'service.md'), 'utf8');
  const section = text.slice(text.indexOf('### Signature rules'), text.indexOf('\n## ', text.indexOf('### Signature rules')));
  for (const name of PROVIDERS) expect(section).toContain(`](examples/webhooks/${name}.yaml)`);
});

describe('jira.yaml (X-Hub-Signature: sha256=, dedupe X-Atlassian-Webhook-Identifier)', () => {
  const issue = (summary: string, event = 'jira:issue_created') => JSON.stringify({
    timestamp: clock * 1000, webhookEvent: event, issue_event_type_name: event === 'jira:issue_created' ? 'issue_created' : 'issue_generic',
    user: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Renée 🐙' },
    issue: { id: '10001', key: 'ABC-1', fields: { summary, status: { name: 'To Do' }, updated: '2026-11-26T10:00:00.000+0000' } },
  });
  const jira = (body: string, identifier: string, secret = SECRETS.jira.webhook_secret, retry?: number) => ({
    'content-type': 'application/json; charset=UTF-8', 'user-agent': 'Atlassian Webhook HTTP Client',
    'x-atlassian-webhook-identifier': identifier, ...(retry ? { 'x-atlassian-webhook-retry': String(retry) } : {}),
    'x-hub-signature': 'sha256=' + hmacHex(secret, body),
  });

  it('accepts a signed issue event, dedupes its retry (same identifier, X-Atlassian-Webhook-Retry), maps it to issues', async () => {
    const created = issue('Ünïcödé summary 🐙');
    expect(reply(await post('jira', created, jira(created, '1001')))).toEqual([202, { id: '1001', duplicate: false }]);
    expect(reply(await post('jira', created, jira(created, '1001', undefined, 1)))).toEqual([200, { id: '1001', duplicate: true }]);
    expect(await deliveries('jira')).toMatchObject([{ id: '1001', event: 'jira:issue_created' }]);
    expect(await records('jira', 'issues')).toEqual([{ id: '10001', key: 'ABC-1', summary: 'Ünïcödé summary 🐙', status: 'To Do', updated: '2026-11-26T10:00:00.000+0000' }]);
    // An update signed with the previous secret (rotation) replaces the record.
    const updated = issue('Renamed', 'jira:issue_updated');
    expect(reply(await post('jira', updated, jira(updated, '1002', SECRETS.jira.webhook_secret_previous)))).toEqual([202, { id: '1002', duplicate: false }]);
    expect(await records('jira', 'issues')).toMatchObject([{ id: '10001', summary: 'Renamed' }]);
  });
  it('refuses a wrong secret (401) and a missing identifier (400), storing nothing', async () => {
    const body = issue('x');
    expect((await post('jira', body, jira(body, '1003', 'not-the-jira-secret-0123'))).statusCode).toBe(401);
    const { 'x-atlassian-webhook-identifier': _dropped, ...noIdentifier } = jira(body, '1003');
    expect((await post('jira', body, noIdentifier)).statusCode).toBe(400);
    expect(await deliveries('jira')).toEqual([]);
  });
});

describe('linear.yaml (Linear-Signature hex, webhookTimestamp within 60 s, dedupe Linear-Delivery)', () => {
  const issue = (title: string, timestampMs: number, action = 'create') => JSON.stringify({
    action, actor: { id: 'u1', name: 'Zoë 🚀', type: 'user' }, createdAt: '2026-11-26T10:00:00.000Z', type: 'Issue',
    data: { id: 'iss-1', identifier: 'ENG-1', title, priority: 2, teamId: 't1', updatedAt: '2026-11-26T10:00:00.000Z' },
    url: 'https://linear.app/acme/issue/ENG-1', organizationId: 'org1', webhookTimestamp: timestampMs, webhookId: 'wh-000111',
  });
  const linear = (body: string, delivery: string, secret = SECRETS.linear.webhook_secret) => ({
    'content-type': 'application/json; charset=utf-8', 'user-agent': 'Linear-Webhook', 'linear-delivery': delivery, 'linear-event': 'Issue', 'linear-signature': hmacHex(secret, body),
  });

  it('accepts a signed Issue event, dedupes a retry re-stamped by Linear (same Linear-Delivery), maps it to issues', async () => {
    const first = issue('Linear — 中文 🚀', clock * 1000);
    expect(reply(await post('linear', first, linear(first, 'd-1')))).toEqual([202, { id: 'd-1', duplicate: false }]);
    clock += 60 * 60; // the retry after 1 h, with a fresh webhookTimestamp and signature
    const retry = issue('Linear — 中文 🚀', clock * 1000);
    expect(reply(await post('linear', retry, linear(retry, 'd-1')))).toEqual([200, { id: 'd-1', duplicate: true }]);
    expect(await deliveries('linear')).toHaveLength(1);
    expect(await records('linear', 'issues')).toEqual([{ id: 'iss-1', identifier: 'ENG-1', title: 'Linear — 中文 🚀', updatedAt: '2026-11-26T10:00:00.000Z' }]);
  });
  it('refuses a wrong secret, and a body stamped more than 60 s ago (what a retry re-sent unchanged would get), with 401', async () => {
    const body = issue('x', clock * 1000);
    expect((await post('linear', body, linear(body, 'd-2', 'lin_wh_someone_else_0123456'))).statusCode).toBe(401);
    const stale = issue('x', (clock - 61) * 1000);
    const refused = await post('linear', stale, linear(stale, 'd-3'));
    expect([refused.statusCode, errorCode(refused)]).toEqual([401, 'WEBHOOK_TIMESTAMP']);
    const recent = issue('50 s old', (clock - 50) * 1000);
    expect((await post('linear', recent, linear(recent, 'd-4', SECRETS.linear.webhook_secret_previous))).statusCode).toBe(202);
    expect((await deliveries('linear')).map((d) => d.id)).toEqual(['d-4']);
  });
});

describe('plane.yaml (X-Plane-Signature hex over Python json.dumps bytes; v2 event_id, v1 derived key)', () => {
  /** What Python's json.dumps writes: ", " and ": " separators, non-ASCII as \uXXXX (UTF-16 units). */
  const pythonJson = (value: unknown): string => {
    if (Array.isArray(value)) return '[' + value.map(pythonJson).join(', ') + ']';
    if (value !== null && typeof value === 'object') return '{' + Object.entries(value).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ') + '}';
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  };
  const WEBHOOK = '3c2c32ac-82df-48b3-be2a-a3e21dbe8692';
  const v2 = (eventId: string, name: string, event = 'workitem.created') => pythonJson({
    event, action: event.split('.')[1], event_id: eventId, webhook_id: WEBHOOK, workspace_id: 'd2d97c94-a6ad-4012-b526-5577c0d7c769',
    data: { id: 'wi-1', name, sequence_id: 7, updated_at: '2026-11-26T10:00:00.123456Z' }, activity: { actor: { id: 'user-1', display_name: 'Jürgen 🛩' } },
  });
  const v1 = (name: string, data: Record<string, unknown>) => pythonJson({ event: 'issue', action: 'updated', webhook_id: WEBHOOK, workspace_id: 'd2d97c94', data: { id: 'wi-9', name, ...data }, activity: { actor: { id: 'u' } } });
  let attempt = 0;
  // X-Plane-Delivery is new on every attempt: it is not the dedupe key.
  const plane = (body: string, event: string, secret = SECRETS.plane.webhook_secret) => ({
    'content-type': 'application/json', 'user-agent': 'Autopilot', 'x-plane-delivery': `0b7e8a4e-0000-4000-8000-${String(++attempt).padStart(12, '0')}`,
    'x-plane-event': event, 'x-plane-signature': hmacHex(secret, body),
  });

  it('v2: keyed on event_id, so a retry (new X-Plane-Delivery) is a duplicate; mapped to work_items', async () => {
    const body = v2('ev-1', 'Plane — 한국어 🛩');
    expect(body).toContain('\\ud55c'); // the bytes Plane signs, not what JSON.stringify writes
    expect(reply(await post('plane', body, plane(body, 'workitem')))).toEqual([202, { id: 'ev-1', duplicate: false }]);
    expect(reply(await post('plane', body, plane(body, 'workitem')))).toEqual([200, { id: 'ev-1', duplicate: true }]);
    expect(await records('plane', 'work_items')).toEqual([{ id: 'wi-1', name: 'Plane — 한국어 🛩', sequence_id: 7, updated_at: '2026-11-26T10:00:00.123456Z' }]);
  });
  it('v1 (no event_id): keyed on webhook, event, action, item and updated_at; a retry is a duplicate, the next edit is not', async () => {
    const first = v1('first edit', { updated_at: '2026-11-26T10:00:00Z' });
    const key = `${WEBHOOK}:issue:updated:wi-9:2026-11-26T10:00:00Z`;
    expect(reply(await post('plane', first, plane(first, 'issue')))).toEqual([202, { id: key, duplicate: false }]);
    expect(reply(await post('plane', first, plane(first, 'issue', SECRETS.plane.webhook_secret_previous)))).toEqual([200, { id: key, duplicate: true }]);
    const second = v1('second edit', { updated_at: '2026-11-26T10:05:00Z' });
    expect((await post('plane', second, plane(second, 'issue'))).statusCode).toBe(202);
    expect(await records('plane', 'work_items')).toMatchObject([{ id: 'wi-9', name: 'second edit' }]);
    expect(await deliveries('plane')).toHaveLength(2);
  });
  it('v1 without updated_at: 400 (the key would have a hole), never a duplicate of another edit; a wrong secret: 401', async () => {
    const holes = [v1('edit A', {}), v1('edit B', {})];
    for (const body of holes) {
      const refused = await post('plane', body, plane(body, 'issue'));
      expect([refused.statusCode, errorCode(refused)]).toEqual([400, 'WEBHOOK_BODY']);
    }
    const body = v2('ev-2', 'x');
    expect((await post('plane', body, plane(body, 'workitem', 'plane_wh_wrong_0123456789abcdef'))).statusCode).toBe(401);
    expect(await deliveries('plane')).toEqual([]);
  });
});

describe('slack.yaml (v0= HMAC over v0:{ts}:{body}; handshakes; every stored delivery answered with an empty 200)', () => {
  const FORM = 'application/x-www-form-urlencoded';
  const slack = (body: string, contentType: string, ts = clock, secret = SECRETS.slack.signing_secret) => ({
    'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': 'v0=' + hmacHex(secret, `v0:${ts}:${body}`),
  });
  const empty200 = (r: Answer) => [r.statusCode, r.body, r.headers['content-type']];
  const message = JSON.stringify({
    token: 'XXYYZZ', team_id: 'T1H9RESGL', api_app_id: 'A2H9RFS1A', type: 'event_callback', event_id: 'Ev0PV52K25', event_time: 1525215129, authed_users: ['U061F7AUR'],
    event: { type: 'message', channel: 'D0PNCRP9N', user: 'U061F7AUR', text: 'How many cats did we herd yesterday? 🐈', ts: '1525215129.000001', event_ts: '1525215129.000001', channel_type: 'app_home' },
  });

  it('Events API: a message is stored and mapped; Slack’s retry (X-Slack-Retry-Num, new timestamp) is a duplicate', async () => {
    expect(empty200(await post('slack', message, slack(message, 'application/json')))).toEqual([200, '', undefined]);
    clock += 4;
    const retry = { ...slack(message, 'application/json'), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };
    expect(empty200(await post('slack', message, retry))).toEqual([200, '', undefined]);
    expect(await deliveries('slack')).toMatchObject([{ id: 'Ev0PV52K25', event: 'message' }]);
    expect(await records('slack', 'messages')).toEqual([
      { id: 'D0PNCRP9N:1525215129.000001', channel: 'D0PNCRP9N', ts: '1525215129.000001', user: 'U061F7AUR', text: 'How many cats did we herd yesterday? 🐈' },
    ]);
  });
  it('answers url_verification with its challenge, app_rate_limited and ssl_check with 200, and stores none of them', async () => {
    const check = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    expect(reply(await post('slack', check, slack(check, 'application/json')))).toEqual([200, { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' }]);
    const limited = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', type: 'app_rate_limited', team_id: 'T123456', minute_rate_limited: 1518467820, api_app_id: 'A123456' });
    expect(reply(await post('slack', limited, slack(limited, 'application/json')))).toEqual([200, {}]);
    const sslCheck = 'ssl_check=1&token=xyzz0WbapA4vBCDEFasx0q6G';
    expect(reply(await post('slack', sslCheck, slack(sslCheck, FORM)))).toEqual([200, {}]);
    // Only once signed: nobody else gets an answer from the URL.
    expect((await post('slack', check, slack(check, 'application/json', clock, 'not-the-signing-secret-0123456')))).toMatchObject({ statusCode: 401 });
    expect(await deliveries('slack')).toEqual([]);
  });
  it('a slash command and a block_actions payload (forms) are answered with an empty 200 and stored, keyed on trigger_id', async () => {
    const command = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=caf%C3%A9+%F0%9F%8E%89&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(empty200(await post('slack', command, slack(command, FORM)))).toEqual([200, '', undefined]);
    const action = { type: 'block_actions', trigger_id: '12466734323.1395872398.ad8b2e7a', user: { id: 'U1', username: 'zoë' }, team: { id: 'T1' }, api_app_id: 'A1', actions: [{ action_id: 'approve', block_id: 'b1', type: 'button', value: 'yes 👍' }] };
    const interaction = 'payload=' + encodeURIComponent(JSON.stringify(action));
    expect(empty200(await post('slack', interaction, slack(interaction, FORM)))).toEqual([200, '', undefined]);
    expect(empty200(await post('slack', interaction, slack(interaction, FORM)))).toEqual([200, '', undefined]);
    const stored = await deliveries('slack');
    expect(stored.map((d) => [d.id, d.event]).sort()).toEqual([['12466734323.1395872398.ad8b2e7a', 'block_actions'], ['398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c', 'slash_command']]);
    // No stream takes them (no list API to poll); they are done, with no records.
    expect(await records('slack', 'messages')).toEqual([]);
    expect((await deliveries('slack')).map((d) => d.status)).toEqual(['done', 'done']);
  });
  it("accepts Slack's published slash-command vector; refuses a wrong secret and a timestamp older than 5 minutes with 401", async () => {
    clock = 1531420618 + 10;
    const vector = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = { 'content-type': FORM, 'x-slack-request-timestamp': '1531420618', 'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' };
    expect(empty200(await post('slack', vector, headers))).toEqual([200, '', undefined]);
    expect((await post('slack', message, slack(message, 'application/json', clock, SECRETS.slack.signing_secret_previous))).statusCode).toBe(200);
    expect((await post('slack', message.replace('cats', 'dogs'), slack(message, 'application/json', clock, 'not-the-signing-secret-0123456'))).statusCode).toBe(401);
    const stale = await post('slack', message.replace('Ev0PV52K25', 'Ev0PV52K26'), slack(message.replace('Ev0PV52K25', 'Ev0PV52K26'), 'application/json', clock - 301));
    expect([stale.statusCode, errorCode(stale)]).toEqual([401, 'WEBHOOK_TIMESTAMP']);
    expect((await deliveries('slack')).map((d) => d.id).sort()).toEqual(['398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c', 'Ev0PV52K25']);
  });
});

const gitlabIssue = (title: string) => JSON.stringify({
  object_kind: 'issue', event_type: 'issue', user: { id: 1, username: 'root', name: 'Administrator' }, project: { id: 5, path_with_namespace: 'acme/api' },
  object_attributes: { id: 301, iid: 23, project_id: 5, title, state: 'opened', action: 'open', updated_at: '2026-11-26 10:00:00 UTC' },
});
const gitlabRecord = (title: string) => ({ id: 301, iid: 23, project_id: 5, title, state: 'opened', updated_at: '2026-11-26 10:00:00 UTC' });

describe('gitlab-token.yaml (X-Gitlab-Token, dedupe Idempotency-Key: GitLab 17.4+)', () => {
  const gitlab = (key: string | undefined, token = SECRETS['gitlab-token'].webhook_token) => ({
    'content-type': 'application/json', 'user-agent': 'GitLab/17.5.0', 'x-gitlab-event': 'Issue Hook', 'x-gitlab-token': token,
    'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e', ...(key === undefined ? {} : { 'idempotency-key': key }),
  });

  it('accepts the token, dedupes a resend on Idempotency-Key, maps the issue', async () => {
    const body = gitlabIssue('Résumé 🚀');
    expect(reply(await post('gitlab-token', body, gitlab('a6c1e0c2-5d7e-4a9f-9d62-1f6e0c3b5a10')))).toEqual([202, { id: 'a6c1e0c2-5d7e-4a9f-9d62-1f6e0c3b5a10', duplicate: false }]);
    expect(reply(await post('gitlab-token', body, gitlab('a6c1e0c2-5d7e-4a9f-9d62-1f6e0c3b5a10', SECRETS['gitlab-token'].webhook_token_previous)))).toEqual([200, { id: 'a6c1e0c2-5d7e-4a9f-9d62-1f6e0c3b5a10', duplicate: true }]);
    expect(await records('gitlab-token', 'issues')).toEqual([gitlabRecord('Résumé 🚀')]);
  });
  it('refuses a wrong token with 401, and a GitLab older than 17.4 (no Idempotency-Key) with 400 on every delivery', async () => {
    const body = gitlabIssue('x');
    expect((await post('gitlab-token', body, gitlab('k1', 'gitlab-token-0123456789abcdeF'))).statusCode).toBe(401);
    const old = await post('gitlab-token', body, gitlab(undefined));
    expect([old.statusCode, errorCode(old)]).toEqual([400, 'WEBHOOK_BODY']);
    expect(await deliveries('gitlab-token')).toEqual([]);
  });
});

describe('gitlab-signed.yaml (Standard Webhooks, dedupe webhook-id)', () => {
  const signed = (id: string, body: string, ts = clock, secret = SECRETS['gitlab-signed'].signing_token) => ({
    'content-type': 'application/json', 'x-gitlab-event': 'Issue Hook',
    'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': new Webhook(secret).sign(id, new Date(ts * 1000), body),
  });

  it('accepts the published Standard Webhooks vector (it maps to nothing: no Issue payload)', async () => {
    clock = 1614265330;
    const headers = { 'content-type': 'application/json', 'x-gitlab-event': 'Issue Hook', 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' };
    expect(reply(await post('gitlab-signed', '{"test": 2432232314}', headers))).toEqual([202, { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', duplicate: false }]);
    expect(await records('gitlab-signed', 'issues')).toEqual([]);
  });
  it('dedupes a resend (same webhook-id, new timestamp and signature), maps the issue; a wrong key is 401', async () => {
    const body = gitlabIssue('Signed 🚀');
    expect(reply(await post('gitlab-signed', body, signed('msg_issue_1', body)))).toEqual([202, { id: 'msg_issue_1', duplicate: false }]);
    clock += 60;
    expect(reply(await post('gitlab-signed', body, signed('msg_issue_1', body, clock, SECRETS['gitlab-signed'].signing_token_previous)))).toEqual([200, { id: 'msg_issue_1', duplicate: true }]);
    const otherKey = 'whsec_' + Buffer.from('some other signing key 1234').toString('base64');
    expect((await post('gitlab-signed', body, signed('msg_issue_2', body, clock, otherKey))).statusCode).toBe(401);
    expect(await deliveries('gitlab-signed')).toHaveLength(1);
    expect(await records('gitlab-signed', 'issues')).toEqual([gitlabRecord('Signed 🚀')]);
  });
});
