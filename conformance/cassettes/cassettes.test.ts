import { afterEach, describe, expect, it } from 'vitest';
import { json, startLocalServer, type LocalServer } from '../server/serve.js';
import { startCassetteServer } from './cassette-server.js';
import type { Cassette } from './format.js';
import { startRecordingProxy } from './recorder.js';
import { createScrubber } from './scrub.js';

const open: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const cassette: Cassette = {
  stream: 'issues',
  base: 'https://api.example.com/v1',
  interactions: [
    {
      request: { method: 'GET', path: '/issues', query: { state: 'all', per_page: '2' } },
      response: { status: 200, headers: { link: '<https://api.example.com/v1/issues?state=all&per_page=2&page=2>; rel="next"' }, body: [{ id: 1, url: 'https://api.example.com/v1/issues/1' }] },
    },
    {
      request: { method: 'GET', path: '/issues', query: { state: 'all', per_page: '2', page: '2', since: '2024-01-01T00:00:00Z' } },
      response: { status: 200, headers: {}, body: [{ id: 2 }] },
    },
    { request: { method: 'POST', path: '/graphql', query: {}, body: { query: 'q', variables: { a: 1, b: 2 } } }, response: { status: 200, headers: {}, body: { data: { ok: true } } } },
  ],
};

describe('startCassetteServer', () => {
  it('replays by method, path and query in any order, rewriting the recorded base URL to its own origin', async () => {
    const server = await startCassetteServer([cassette]);
    open.push(server);
    const response = await fetch(`${server.url}/issues?per_page=2&state=all`);
    expect(response.status).toBe(200);
    expect(response.headers.get('link')).toBe(`<${server.url}/issues?state=all&per_page=2&page=2>; rel="next"`);
    expect(await response.json()).toEqual([{ id: 1, url: `${server.url}/issues/1` }]);
    expect(server.hits.size).toBe(1);
  });

  it('ignores loose GraphQL variables (an incremental bound) only when nothing matches exactly', async () => {
    const graphql: Cassette = { stream: 'prs', interactions: [{ request: { method: 'POST', path: '/graphql', query: {}, body: { query: 'q', variables: { since: '2020-01-01', after: null } } }, response: { status: 200, headers: {}, body: { data: 1 } } }] };
    const server = await startCassetteServer([graphql], { looseParams: ['since'] });
    open.push(server);
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', body: JSON.stringify({ query: 'q', variables: { since: '2031-01-01', after: null } }) });
    expect(await response.json()).toEqual({ data: 1 });
  });

  it('matches JSON bodies whatever their key order (GraphQL)', async () => {
    const server = await startCassetteServer([cassette]);
    open.push(server);
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', body: JSON.stringify({ variables: { b: 2, a: 1 }, query: 'q' }) });
    expect(await response.json()).toEqual({ data: { ok: true } });
  });

  it('answers 404 for an unrecorded request and lists it in misses; loose params are ignored only as a fallback', async () => {
    const server = await startCassetteServer([cassette], { looseParams: ['since'] });
    open.push(server);
    expect((await fetch(`${server.url}/issues?state=open`)).status).toBe(404);
    expect(server.misses).toEqual(['GET /issues?state=open']);
    const loose = await fetch(`${server.url}/issues?state=all&per_page=2&page=2&since=2030-01-01T00:00:00Z`);
    expect(await loose.json()).toEqual([{ id: 2 }]);
  });
});

describe('startRecordingProxy', () => {
  it('keeps the last answer of a request that was retried (a 502, then a 200)', async () => {
    let calls = 0;
    const live = await startLocalServer(async () => (++calls === 1 ? json(502, { message: 'bad gateway' }) : json(200, [{ id: 1 }])));
    open.push(live);
    const proxy = await startRecordingProxy({ target: live.url, scrubber: createScrubber({ secrets: [] }) });
    open.push(proxy);
    await fetch(`${proxy.url}/things?a=1`);
    await fetch(`${proxy.url}/things?a=1`);
    const recorded = proxy.take('things');
    expect(recorded.interactions.map((i) => i.response.status)).toEqual([200]);
  });

  it('records through the proxy, keeps pages local, and scrubs secrets and personal data consistently', async () => {
    const live = await startLocalServer(async (request) => {
      if (request.headers.authorization !== 'Bearer live-secret-token') return json(401, { message: 'Bad credentials' });
      const page = request.query.find(([k]) => k === 'page')?.[1] ?? '1';
      const next: Record<string, string> = page === '1' ? { link: `<${request.origin}/users?page=2>; rel="next"` } : {};
      return json(200, [{ id: Number(page), login: 'octocat', email: 'octo@github.com', avatar_url: 'https://avatars.example/u/1', note: 'token live-secret-token leaked', basic: `Basic ${Buffer.from('live-secret-token').toString('base64')}` }], next);
    });
    open.push(live);
    const proxy = await startRecordingProxy({ target: live.url, scrubber: createScrubber({ secrets: ['live-secret-token'] }) });
    open.push(proxy);
    const first = await fetch(`${proxy.url}/users`, { headers: { authorization: 'Bearer live-secret-token' } });
    // The next link points at the proxy, so the client keeps recording every page.
    expect(first.headers.get('link')).toBe(`<${proxy.url}/users?page=2>; rel="next"`);
    await fetch(`${proxy.url}/users?page=2`, { headers: { authorization: 'Bearer live-secret-token' } });
    const recorded = proxy.take('users');
    expect(recorded.interactions).toHaveLength(2);
    const text = JSON.stringify(recorded);
    expect(text).not.toContain('live-secret-token');
    expect(text).not.toContain(Buffer.from('live-secret-token').toString('base64'));
    expect(text).not.toContain('octocat');
    expect(text).not.toContain('octo@github.com');
    const [a, b] = recorded.interactions.map((i) => (i.response.body as Array<Record<string, string>>)[0]!);
    expect(a!.login).toBe(b!.login); // one pseudonym per value
    expect(a!.email).toMatch(/^user-[0-9a-f]{8}@example\.com$/);
    expect(a!.note).toBe('token *** leaked');

    // Round trip: the recording replays with the live origin rewritten to the replay server.
    const replay = await startCassetteServer([recorded]);
    open.push(replay);
    const again = await fetch(`${replay.url}/users`);
    expect(again.headers.get('link')).toBe(`<${replay.url}/users?page=2>; rel="next"`);
    expect(await again.json()).toEqual(recorded.interactions[0]!.response.body);
  });
});
