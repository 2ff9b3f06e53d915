import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifest, parseManifest } from '../../runtime/manifest/index.js';
import { createService } from '../../runtime/service/index.js';
import { auth, TEST_ENV, tempDir, withApp } from './fixtures.js';

/**
 * Each signature scheme the service supports, sent through POST /webhooks/:connector/:connection with
 * a small manifest shaped like the provider (the unit tests in runtime/webhooks cover the verifiers
 * alone): the dedupe key comes from where the provider puts it, tampering and replays are refused,
 * and the published vectors (docs/shared PROVIDERS.md) pass end to end.
 */

/** A connector with one stream and the given webhook rule; the stream is never polled here. */
const connector = (name: string, secretKeys: string[], webhooks: string) =>
  parseManifest(
    `
name: ${name}
version: 1.0.0
spec:
  type: object
  properties:
${secretKeys.map((key) => `    ${key}: { type: string, secret: true }`).join('\n')}
requester:
  url_base: "http://127.0.0.1:9"
streams:
  events:
    primary_key: id
    schema: { type: object }
    request: { path: /events }
webhooks:
${webhooks}
  events: {}
`,
    `${name}.yaml`,
  );

// Slack: v0=HMAC-SHA256 of "v0:{timestamp}:{body}", 5 min tolerance; Events API dedupes on the body's
// event_id, slash commands and interactivity (no event_id) on their trigger_id.
const SLACK = connector(
  'slack',
  ['signing_secret'],
  `  signature:
    type: hmac
    algorithm: sha256
    header: X-Slack-Signature
    prefix: "v0="
    encoding: hex
    signed_content: "v0:{{ headers.\`x-slack-request-timestamp\` }}:{{ body }}"
    secret: "{{ config.signing_secret }}"
    timestamp: { header: X-Slack-Request-Timestamp, unit: seconds, tolerance_seconds: 300 }
  delivery_id: "{{ $exists(body.event_id) ? body.event_id : body.trigger_id }}"
  event: "{{ $exists(body.event) ? body.event.type : $exists(body.command) ? 'slash_command' : body.type }}"
  handshakes:
    - when: "type = 'url_verification'"
      respond: "{ 'challenge': challenge }"
  acknowledge: { status: 200, body: empty }`,
);

// GitLab with a signing token: Standard Webhooks, dedupe on webhook-id; the event is X-Gitlab-Event.
const GITLAB_SIGNED = connector(
  'gitlab-signed',
  ['signing_token', 'signing_token_previous'],
  `  signature:
    type: standard_webhooks
    secret: ["{{ config.signing_token }}", "{{ config.signing_token_previous }}"]
    tolerance_seconds: 300
  delivery_id: "{{ headers.\`webhook-id\` }}"
  event: "{{ headers.\`x-gitlab-event\` }}"`,
);

// GitLab legacy: the secret token in plain text in X-Gitlab-Token (the body is not signed); dedupe on
// Idempotency-Key (GitLab 17.4+, stable across retries and manual resends).
const GITLAB_TOKEN = connector(
  'gitlab',
  ['webhook_token'],
  `  signature:
    type: token
    header: X-Gitlab-Token
    secret: "{{ config.webhook_token }}"
  delivery_id: "{{ headers.\`idempotency-key\` }}"
  event: "{{ headers.\`x-gitlab-event\` }}"`,
);

// Published vectors (PROVIDERS.md).
const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const SLACK_TS = 1531420618;
const SLACK_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SLACK_VECTOR = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const SW_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SW_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SW_TS = 1614265330;
const SW_BODY = '{"test": 2432232314}';
const SW_VECTOR = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

const GITHUB_NEW = 'the new webhook secret';
const GITHUB_OLD = "It's a Secret to Everybody";

let tmp: ReturnType<typeof tempDir>;
let clock: number;
let ctx: Awaited<ReturnType<typeof start>>;

async function start() {
  const service = await createService({
    dataDir: tmp.dir, manifests: [SLACK, GITLAB_SIGNED, GITLAB_TOKEN, await loadManifest('github')], env: TEST_ENV,
    now: () => clock * 1000, background: false, probeIntervalMs: 0,
  });
  service.putConnection({ id: 'acme-slack', connector: 'slack', config: { signing_secret: SLACK_SECRET } }, 'api');
  service.putConnection({ id: 'acme-gitlab-signed', connector: 'gitlab-signed', config: { signing_token: SW_SECRET } }, 'api');
  service.putConnection({ id: 'acme-gitlab', connector: 'gitlab', config: { webhook_token: 'glpat-like-token' } }, 'api');
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

const post = (url: string, body: string | Buffer, headers: Record<string, string>) => ctx.app.inject({ method: 'POST', url, payload: body, headers });
const reply = (r: { statusCode: number; json(): unknown }) => [r.statusCode, r.json()];
const errorCode = (r: { json(): unknown }) => (r.json() as { error?: { code?: string } }).error?.code;
const deliveries = async (connector: string) =>
  ((await ctx.app.inject({ method: 'GET', url: `/api/deliveries?connection=acme-${connector}&limit=50`, headers: auth })).json() as { deliveries: Array<{ id: string; event: string }> }).deliveries;

describe('Slack (hmac over v0:{timestamp}:{body}, timestamp tolerance, JSON and form bodies)', () => {
  const url = '/webhooks/slack/acme-slack';
  const FORM = 'application/x-www-form-urlencoded';
  const slack = (body: string, contentType: string, ts = clock, secret = SLACK_SECRET) => ({
    'content-type': contentType,
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex'),
  });
  // The manifest acknowledges with an empty 200 (acknowledge: {status: 200, body: empty}): Slack reads
  // a JSON body to a slash command as a message. What was stored is checked through the admin API.
  const acknowledged = (r: { statusCode: number; headers: Record<string, unknown>; body: string }) => [r.statusCode, r.body];
  const eventCallback = JSON.stringify({
    token: 'XXYYZZ', team_id: 'T1DC2JH3J', api_app_id: 'A2H9RFS1A', type: 'event_callback', event_id: 'Ev9UQ52YNA', event_time: 1_700_000_000,
    event: { type: 'message', channel: 'C2147483705', user: 'U2147483697', text: 'Hello ✨ ça marche', ts: '1355517523.000005' },
  });

  it("accepts Slack's documented slash-command example (form body), keyed on its trigger_id", async () => {
    clock = SLACK_TS + 10;
    const headers = { 'content-type': FORM, 'x-slack-request-timestamp': String(SLACK_TS), 'x-slack-signature': SLACK_VECTOR };
    const id = '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const first = await post(url, SLACK_BODY, headers);
    expect([...acknowledged(first), first.headers['content-type'], first.headers['content-length']]).toEqual([200, '', undefined, '0']);
    expect(acknowledged(await post(url, SLACK_BODY, headers))).toEqual([200, '']);
    expect(await deliveries('slack')).toMatchObject([{ id, event: 'slash_command' }]);
    const metrics = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('gwi_webhook_deliveries_total{connector="slack",outcome="accepted"} 1');
    expect(metrics).toContain('gwi_webhook_deliveries_total{connector="slack",outcome="duplicate"} 1');
  });
  it('dedupes an Events API retry on the body’s event_id, though Slack re-signs it with a new timestamp', async () => {
    expect(acknowledged(await post(url, eventCallback, slack(eventCallback, 'application/json')))).toEqual([200, '']);
    clock += 4;
    const retry = { ...slack(eventCallback, 'application/json'), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };
    expect(acknowledged(await post(url, eventCallback, retry))).toEqual([200, '']);
    expect(await deliveries('slack')).toMatchObject([{ id: 'Ev9UQ52YNA', event: 'message' }]);
  });
  it('accepts an interactive payload (form field payload=<json>), keyed on its trigger_id', async () => {
    const payload = { type: 'block_actions', trigger_id: '13345224609.738474920.8088930838d88f008e0', user: { id: 'U0CA5' }, actions: [{ action_id: 'approve', value: 'yes' }] };
    const body = 'payload=' + encodeURIComponent(JSON.stringify(payload));
    expect(acknowledged(await post(url, body, slack(body, FORM)))).toEqual([200, '']);
    expect(acknowledged(await post(url, body, slack(body, FORM)))).toEqual([200, '']);
    expect(await deliveries('slack')).toMatchObject([{ id: payload.trigger_id, event: 'block_actions' }]);
  });
  it("answers Slack's url_verification with its challenge (200), once signed and fresh, and stores nothing", async () => {
    // Slack's documented example: sent when the Request URL is set, and it must echo the challenge.
    const check = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const answered = await post(url, check, slack(check, 'application/json'));
    expect([answered.statusCode, answered.headers['content-type'], answered.json()]).toEqual([200, 'application/json; charset=utf-8', { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' }]);
    // Only after the signature and the timestamp: anyone may not probe the URL with it.
    expect((await post(url, check, slack(check, 'application/json', clock, 'another secret'))).statusCode).toBe(401);
    expect((await post(url, check, slack(check, 'application/json', clock - 301))).statusCode).toBe(401);
    expect(await deliveries('slack')).toEqual([]);
    const metrics = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('gwi_webhook_deliveries_total{connector="slack",outcome="handshake"} 1');
    // Events go on as deliveries.
    expect(acknowledged(await post(url, eventCallback, slack(eventCallback, 'application/json')))).toEqual([200, '']);
    expect(await deliveries('slack')).toMatchObject([{ id: 'Ev9UQ52YNA', event: 'message' }]);
  });
  it('refuses a tampered body, a tampered timestamp, a wrong secret and a stale timestamp with 401, storing nothing', async () => {
    const headers = slack(eventCallback, 'application/json');
    const tampered = await post(url, eventCallback.replace('Hello', 'Hallo'), headers);
    expect([tampered.statusCode, errorCode(tampered)]).toEqual([401, 'WEBHOOK_SIGNATURE_MISMATCH']);
    const movedTs = await post(url, eventCallback, { ...headers, 'x-slack-request-timestamp': String(clock - 1) });
    expect([movedTs.statusCode, errorCode(movedTs)]).toEqual([401, 'WEBHOOK_SIGNATURE_MISMATCH']);
    expect((await post(url, eventCallback, slack(eventCallback, 'application/json', clock, 'another secret'))).statusCode).toBe(401);
    // Correctly signed, but 301 s old: a replay.
    const stale = await post(url, eventCallback, slack(eventCallback, 'application/json', clock - 301));
    expect([stale.statusCode, errorCode(stale)]).toEqual([401, 'WEBHOOK_TIMESTAMP']);
    expect(await deliveries('slack')).toEqual([]);
  });
});

describe('Standard Webhooks (GitLab signing token: webhook-id, webhook-timestamp, webhook-signature)', () => {
  const url = '/webhooks/gitlab-signed/acme-gitlab-signed';
  const sw = (id: string, body: string, ts = clock, secret = SW_SECRET) => ({
    'content-type': 'application/json', 'x-gitlab-event': 'Issue Hook',
    'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': new Webhook(secret).sign(id, new Date(ts * 1000), body),
  });
  const issue = JSON.stringify({ object_kind: 'issue', event_type: 'issue', object_attributes: { id: 301, iid: 23, title: 'Résumé 🚀', action: 'open' } });

  it('accepts the published Standard Webhooks example, keyed on webhook-id', async () => {
    clock = SW_TS;
    const headers = { 'content-type': 'application/json', 'x-gitlab-event': 'Issue Hook', 'webhook-id': SW_ID, 'webhook-timestamp': String(SW_TS), 'webhook-signature': SW_VECTOR };
    expect(reply(await post(url, SW_BODY, headers))).toEqual([202, { id: SW_ID, duplicate: false }]);
    expect(reply(await post(url, SW_BODY, headers))).toEqual([200, { id: SW_ID, duplicate: true }]);
  });
  it('dedupes a resend (same webhook-id, new timestamp and signature) on the header', async () => {
    expect(reply(await post(url, issue, sw('msg_issue_1', issue)))).toEqual([202, { id: 'msg_issue_1', duplicate: false }]);
    clock += 60;
    expect(reply(await post(url, issue, sw('msg_issue_1', issue)))).toEqual([200, { id: 'msg_issue_1', duplicate: true }]);
    expect(reply(await post(url, issue, sw('msg_issue_2', issue)))).toEqual([202, { id: 'msg_issue_2', duplicate: false }]);
    expect(await deliveries('gitlab-signed')).toHaveLength(2);
  });
  it('refuses a tampered body, a wrong key and a stale timestamp with 401, a missing header with 400', async () => {
    const headers = sw('msg_bad', issue);
    expect((await post(url, issue.replace('open', 'close'), headers)).statusCode).toBe(401);
    const otherKey = 'whsec_' + Buffer.from('some other signing key 1234').toString('base64');
    expect((await post(url, issue, sw('msg_bad', issue, clock, otherKey))).statusCode).toBe(401);
    const stale = await post(url, issue, sw('msg_bad', issue, clock - 301));
    expect([stale.statusCode, errorCode(stale)]).toEqual([401, 'WEBHOOK_TIMESTAMP']);
    const { 'webhook-id': _dropped, ...noId } = headers;
    expect((await post(url, issue, noId)).statusCode).toBe(400);
    expect(await deliveries('gitlab-signed')).toEqual([]);
  });
  it('rotation: an invalid key beside a valid one does not break deliveries (was a 500 for all)', async () => {
    ctx.service.putConnection({ id: 'acme-gitlab-signed', connector: 'gitlab-signed', config: { signing_token: 'whsec_not-base64!', signing_token_previous: SW_SECRET } }, 'api');
    expect(reply(await post(url, issue, sw('msg_rot', issue)))).toEqual([202, { id: 'msg_rot', duplicate: false }]);
    ctx.service.putConnection({ id: 'acme-gitlab-signed', connector: 'gitlab-signed', config: { signing_token: 'whsec_not-base64!' } }, 'api');
    const none = await post(url, issue, sw('msg_rot2', issue));
    expect([none.statusCode, errorCode(none)]).toEqual([500, 'WEBHOOK_MISCONFIGURED']);
  });
});

describe('plain token (GitLab legacy X-Gitlab-Token)', () => {
  const url = '/webhooks/gitlab/acme-gitlab';
  const push = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', total_commits_count: 1 });
  const gitlab = (key: string, token = 'glpat-like-token') => ({ 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': token, 'idempotency-key': key });

  it('accepts the token, dedupes a resend on Idempotency-Key', async () => {
    expect(reply(await post(url, push, gitlab('a6c1e0c2-5d7e-4a9f-9d62-1f6e0c3b5a10')))).toEqual([202, { id: 'a6c1e0c2-5d7e-4a9f-9d62-1f6e0c3b5a10', duplicate: false }]);
    expect(reply(await post(url, push, gitlab('a6c1e0c2-5d7e-4a9f-9d62-1f6e0c3b5a10')))).toEqual([200, { id: 'a6c1e0c2-5d7e-4a9f-9d62-1f6e0c3b5a10', duplicate: true }]);
    expect(await deliveries('gitlab')).toMatchObject([{ event: 'Push Hook' }]);
  });
  it('stores no copy of the token, nor of credential headers a proxy added (the bus gets the same headers: ingest.ts keptHeaders)', async () => {
    const headers = { ...gitlab('b1'), authorization: 'Bearer proxy-credential-1', cookie: 'session=cookie-credential-2' };
    expect((await post(url, push, headers)).statusCode).toBe(202);
    const [stored] = ctx.service.store.dueDeliveries(Date.now() + 60_000, 10);
    expect(stored?.headers).toMatchObject({ 'x-gitlab-event': 'Push Hook', 'idempotency-key': 'b1' });
    expect(Object.keys(stored?.headers ?? {})).not.toContain('x-gitlab-token');
    // Nowhere in the database files, WAL included (the connection's own copy is sealed).
    const bytes = readdirSync(tmp.dir).filter((name) => name.startsWith('gwi.db')).map((name) => readFileSync(join(tmp.dir, name)).toString('latin1')).join('');
    for (const secret of ['glpat-like-token', 'proxy-credential-1', 'cookie-credential-2']) expect(bytes).not.toContain(secret);
  });

  it('refuses a wrong token (also one of another length) with 401 and a missing one with 400', async () => {
    // The body is not signed in this scheme: only the token proves the sender.
    expect((await post(url, push, gitlab('k1', 'glpat-like-tokeN'))).statusCode).toBe(401);
    expect((await post(url, push, gitlab('k2', 'x'))).statusCode).toBe(401);
    const { 'x-gitlab-token': _dropped, ...noToken } = gitlab('k3');
    expect((await post(url, push, noToken)).statusCode).toBe(400);
    expect(await deliveries('gitlab')).toEqual([]);
  });
});

describe('manifests/github.yaml: webhook secret rotation', () => {
  const url = '/webhooks/github/gh';
  let n = 0;
  const github = (secret: string) => {
    const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 77 });
    const guid = `72d3162e-cc78-11e3-81ab-4c9367dc${String(++n).padStart(4, '0')}`;
    return {
      body,
      id: `77:${guid}`,
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-hook-id': '77', 'x-github-delivery': guid, 'x-hub-signature-256': 'sha256=' + createHmac('sha256', secret).update(body).digest('hex') },
    };
  };
  const connect = (config: Record<string, string>) =>
    ctx.service.putConnection({ id: 'gh', connector: 'github', config: { token: 'ghp_exampletoken', repositories: ['acme/api'], ...config } }, 'api');

  it('accepts deliveries signed with webhook_secret or webhook_secret_previous, refuses a third secret', async () => {
    connect({ webhook_secret: GITHUB_NEW, webhook_secret_previous: GITHUB_OLD });
    for (const secret of [GITHUB_NEW, GITHUB_OLD]) {
      const d = github(secret);
      expect(reply(await post(url, d.body, d.headers))).toEqual([202, { id: d.id, duplicate: false }]);
    }
    const third = github('neither of them');
    expect([(await post(url, third.body, third.headers)).statusCode]).toEqual([401]);
    // The previous secret is hidden like the current one.
    const listed = JSON.stringify((await ctx.app.inject({ method: 'GET', url: '/api/connections', headers: auth })).json());
    expect(listed).not.toContain(GITHUB_OLD);
  });
  it('once webhook_secret_previous is removed (or empty), the old secret is refused', async () => {
    const configs: Array<Record<string, string>> = [{ webhook_secret: GITHUB_NEW }, { webhook_secret: GITHUB_NEW, webhook_secret_previous: '' }];
    for (const config of configs) {
      connect(config);
      const fresh = github(GITHUB_NEW);
      expect((await post(url, fresh.body, fresh.headers)).statusCode).toBe(202);
      const old = github(GITHUB_OLD);
      expect((await post(url, old.body, old.headers)).statusCode).toBe(401);
    }
  });
});
