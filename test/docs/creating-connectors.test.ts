/**
 * Keeps docs/creating-connectors.md honest: runs the worked example (docs/examples/tickets/) the way
 * the guide does, against the example's own server.mjs, and checks that what the guide shows (YAML
 * snippets, protocol lines, validate errors, conformance lines, service answers) is what the code
 * does today.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { specMessage } from '../../runtime/cli/commands/spec.js';
import { runTestCommand } from '../../runtime/cli/commands/test.js';
import { runValidate } from '../../runtime/cli/commands/validate.js';
import type { CommandIO } from '../../runtime/cli/resolve-manifest.js';
import { buildApp, createConnector, createService, loadManifest, parseManifest, resolveConfig, type AirbyteMessage, type LoadedManifest } from '../../runtime/index.js';
import { normaliseCatalogInput } from '../../runtime/protocol/index.js';
import { fencedBlocks, read } from './markdown.js';
import { startTicketsServer, type TicketsServer } from './tickets-server.js';

const root = resolve(import.meta.dirname, '..', '..');
const exampleDir = join(root, 'docs', 'examples', 'tickets');
const manifestPath = join(exampleDir, 'tickets.yaml');
const doc = read(join(root, 'docs', 'creating-connectors.md'));
const blocks = fencedBlocks(doc);
/** The origin the guide's outputs show; the test's server listens on a free port instead. */
const DOC_ORIGIN = 'http://127.0.0.1:4010';
const env = { TICKETS_API_KEY: 'doc-test-key-4f1c9a', TICKETS_WEBHOOK_SECRET: 'doc-test-webhook-secret' };

let server: TicketsServer;
let dir: string;
let manifest: LoadedManifest;
/** Every protocol line the runs below produced, normalised (see `normalise`). */
const produced = new Set<string>();

/** The doc's own copy of a protocol line and ours must compare equal: drop emitted_at, use the doc's origin. */
function normalise(message: unknown): string {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  return JSON.stringify(JSON.parse(text.replaceAll(server?.origin ?? DOC_ORIGIN, DOC_ORIGIN)), (key, value: unknown) => (key === 'emitted_at' ? undefined : value));
}

function configFor(manifestNode: LoadedManifest, overrides: Record<string, unknown> = {}, vars: Record<string, string> = env) {
  const raw = JSON.parse(readFileSync(join(exampleDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  return resolveConfig({ ...raw, base_url: `${server.origin}/api`, ...overrides }, manifestNode, { env: vars });
}

async function collect(iterable: AsyncIterable<AirbyteMessage>): Promise<AirbyteMessage[]> {
  const out: AirbyteMessage[] = [];
  for await (const message of iterable) {
    out.push(message);
    produced.add(normalise(message));
  }
  return out;
}

const records = (messages: AirbyteMessage[], stream: string) =>
  messages.flatMap((m) => (m.type === 'RECORD' && m.record.stream === stream ? [m.record.data] : []));
const states = (messages: AirbyteMessage[]) => messages.filter((m) => m.type === 'STATE');

function captureIO(): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (line) => out.push(line), stderr: (line) => err.push(line) };
}

/**
 * What a console block shows after a command: the lines after the first line that is exactly
 * `$ <command>` (else the first line containing it), up to the next `$ `. `...` lines are dropped.
 */
function outputOf(command: string): string[] {
  const consoles = blocks.filter((b) => b.lang === 'console').map((b) => b.text.split('\n'));
  const find = (match: (line: string) => boolean) => consoles.flatMap((lines) => { const i = lines.findIndex(match); return i === -1 ? [] : [{ lines, start: i }]; })[0];
  const found = find((line) => line === `$ ${command}`) ?? find((line) => line.includes(command));
  if (!found) throw new Error(`no console block with ${command}`);
  const { lines, start } = found;
  const end = lines.findIndex((line, i) => i > start && line.startsWith('$ '));
  return lines.slice(start + 1, end === -1 ? undefined : end).filter((line) => line !== '' && line !== '...');
}

beforeAll(async () => {
  server = await startTicketsServer(exampleDir, env.TICKETS_API_KEY);
  dir = mkdtempSync(join(tmpdir(), 'docs-tickets-'));
  manifest = await loadManifest(manifestPath);
  Object.assign(process.env, env); // the CLI commands read ${VAR} from the environment, as in the guide
});
afterAll(async () => {
  await server?.close();
});

describe('docs/creating-connectors.md', () => {
  it('every full manifest in a yaml block validates; every snippet is part of tickets.yaml or connections.yaml', () => {
    const finished = parseYaml(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    const connections = parseYaml(readFileSync(join(exampleDir, 'connections.yaml'), 'utf8')) as unknown;
    const yamlBlocks = blocks.filter((b) => b.lang === 'yaml');
    let full = 0;
    for (const block of yamlBlocks) {
      const value = parseYaml(block.text) as Record<string, unknown> | null;
      if (value === null) continue; // only the `# yaml-language-server` comment
      const where = `creating-connectors.md:${block.line}`;
      if ('name' in value && 'streams' in value) {
        full++;
        expect(() => parseManifest(block.text, where), where).not.toThrow();
      } else if ('connections' in value) {
        expect(value, where).toEqual(connections);
      } else {
        expect(finished, where).toMatchObject(value);
      }
    }
    expect(full).toBeGreaterThan(0);
  });

  it('the finished manifest validates with `validate`', async () => {
    const io = captureIO();
    expect(await runValidate([manifestPath], io)).toBe(0);
    expect(io.err).toEqual([`ok ${manifestPath} (2 streams)`]);
  });

  it('step 1: the first manifest reads only the first page (two raw tickets)', async () => {
    const first = blocks.find((b) => b.lang === 'yaml' && /^name: tickets$/m.test(b.text) && /^version: 0\.1\.0$/m.test(b.text));
    expect(first, 'the step-1 manifest').toBeDefined();
    const step1 = parseManifest(first!.text, 'step1.yaml');
    const connector = createConnector({ manifest: step1, config: resolveConfig({ api_key: env.TICKETS_API_KEY, base_url: `${server.origin}/api` }, step1) });
    produced.add(normalise(await connector.check()));
    const messages = await collect(connector.read());
    await connector.close();
    expect(records(messages, 'tickets').map((r) => r['id'])).toEqual([1, 2]);
    expect(records(messages, 'tickets')[1]).toHaveProperty('assignee', null);
  });

  it('check: SUCCEEDED with the key, FAILED naming config "api_key" (never the key) without it', async () => {
    const good = createConnector({ manifest, config: configFor(manifest) });
    const ok = await good.check();
    await good.close();
    produced.add(normalise(ok));
    expect(ok).toEqual({ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } });

    const bad = createConnector({ manifest, config: configFor(manifest, {}, { ...env, TICKETS_API_KEY: 'expired-key' }) });
    const failed = await bad.check();
    await bad.close();
    produced.add(normalise(failed));
    expect(failed).toMatchObject({ connectionStatus: { status: 'FAILED' } });
    const message = failed.type === 'CONNECTION_STATUS' ? failed.connectionStatus.message ?? '' : '';
    expect(message).toContain('config "api_key"');
    expect(message).toContain('[AUTH_INVALID_CREDENTIALS]');
    expect(message).not.toContain('expired-key');
  });

  it('spec and discover give what the guide shows', async () => {
    const connector = createConnector({ manifest, config: configFor(manifest) });
    const catalog = connector.discover();
    await connector.close();
    expect(specMessage(manifest)).toMatchObject({ spec: { connectionSpecification: { required: ['api_key'], properties: { api_key: { secret: true, airbyte_secret: true } } }, supportsIncremental: true } });
    const shown = outputOf('discover $T/tickets.yaml').map((line) => JSON.parse(line) as unknown);
    const streams = catalog.type === 'CATALOG' ? catalog.catalog.streams : [];
    expect(streams.map((s) => ({ name: s.name, supported_sync_modes: s.supported_sync_modes, default_cursor_field: s.default_cursor_field ?? null }))).toEqual(shown);
  });

  it('read: five tickets over three pages, one STATE, four comments (the archived ticket’s 404 ignored)', async () => {
    const connector = createConnector({ manifest, config: configFor(manifest) });
    const messages = await collect(connector.read());
    await connector.close();
    expect(records(messages, 'tickets').map((r) => r['id'])).toEqual([1, 2, 3, 4, 5]);
    expect(records(messages, 'comments').map((r) => r['id']).sort()).toEqual([101, 102, 103, 201]);
    expect(states(messages)).toEqual([
      { type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 'tickets' }, stream_state: { cursor: '2026-01-11T14:45:00Z' } }, sourceStats: { recordCount: 5 } } },
    ]);
    expect(messages.some((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')).toBe(false);
    // The guide shows the read with `grep -v STREAM_STATUS`: its lines are exactly these, in order (comments of one ticket stay in order).
    const shown = outputOf('read $T/tickets.yaml --config $T/config.json | grep -v STREAM_STATUS');
    const ours = messages.filter((m) => !(m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS')).map(normalise);
    expect([...ours].sort()).toEqual(shown.map(normalise).sort());
  });

  it('without the on_response rule, the archived ticket’s 404 ends comments with the error the guide shows', async () => {
    const rule = `    - { when: "status = 404 and $contains(response.error, 'archived')", action: ignore }\n`;
    const text = readFileSync(manifestPath, 'utf8');
    expect(text).toContain(rule);
    const without = parseManifest(text.replace(rule, '').replace('  on_response:\n', ''), 'no-rule.yaml');
    const connector = createConnector({ manifest: without, config: configFor(without) });
    const messages = await collect(connector.read());
    await connector.close();
    const errors = messages.flatMap((m) => (m.type === 'TRACE' && m.trace.type === 'ERROR' ? [m.trace.error.message] : []));
    const shown = blocks.find((b) => b.lang === '' && b.text.includes('[HTTP_STATUS]'))?.text.trim();
    expect(errors.map((e) => e.replaceAll(server.origin, DOC_ORIGIN))).toEqual([shown]);
  });

  it('test --record writes cassettes from the example server, and the suite passes on them', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ api_key: '${TICKETS_API_KEY}', base_url: `${server.origin}/api` }));
    const io = captureIO();
    expect(await runTestCommand(manifestPath, { record: true, config, cassettes: join(dir, 'cassettes') }, io)).toBe(0);
    for (const line of outputOf('test $T/tickets.yaml --record')) expect(io.out).toContain(line);
    expect(JSON.stringify(readFileSync(join(dir, 'cassettes', 'tickets.json'), 'utf8'))).not.toContain(env.TICKETS_API_KEY);
  });

  it('read --state after a PATCH: only the changed ticket, and the cursor moves to it', async () => {
    const catalog = normaliseCatalogInput(JSON.parse(readFileSync(join(exampleDir, 'catalog.json'), 'utf8')));
    const first = createConnector({ manifest, config: configFor(manifest) });
    const saved = states(await collect(first.read(catalog)));
    await first.close();
    expect(saved).toHaveLength(1);

    const patch = await fetch(`${server.origin}/api/tickets/2`, { method: 'PATCH', headers: { 'x-api-key': env.TICKETS_API_KEY }, body: '{"status":"closed"}' });
    expect(patch.status).toBe(200);

    const second = createConnector({ manifest, config: configFor(manifest) });
    const messages = await collect(second.read(catalog, saved.map((m) => (m.type === 'STATE' ? m.state : undefined)).filter((s) => s !== undefined)));
    await second.close();
    expect(records(messages, 'tickets')).toEqual([{ id: 2, title: 'Export to CSV drops accents', status: 'closed', priority: 'normal', updated_at: '2026-01-11T14:46:00Z' }]);
    expect(states(messages)).toMatchObject([{ state: { stream: { stream_state: { cursor: '2026-01-11T14:46:00Z' } } } }]);
    const shown = outputOf('--state state.json | grep -v STREAM_STATUS');
    expect(messages.filter((m) => !(m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS')).map(normalise)).toEqual(shown.map(normalise));
  });

  it('every RECORD, STATE and CONNECTION_STATUS line the guide shows was produced above', () => {
    const shown = doc.split('\n').filter((line) => /^\{"type":"(RECORD|STATE|CONNECTION_STATUS)"/.test(line));
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.map(normalise).filter((line) => !produced.has(line))).toEqual([]);
  });

  it('validate: the broken copy prints the lines the guide shows (file:line:col, did you mean) and exits 1', async () => {
    // The guide's `sed -e 's/cursor_field:/cursor_feild:/' -e 's/next_cursor$/next_cursor)/'`.
    const broken = readFileSync(manifestPath, 'utf8')
      .split('\n')
      .map((line) => line.replace('cursor_field:', 'cursor_feild:').replace(/next_cursor$/, 'next_cursor)'))
      .join('\n');
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, broken);
    const io = captureIO();
    expect(await runValidate([file], io)).toBe(1);
    expect(io.out.map((line) => line.replaceAll(`${dir}/`, ''))).toEqual(outputOf('npx gwi-connectors validate broken.yaml'));
  });

  it('test --simulate and test with the committed cassettes: every check passes, with the lines the guide shows', async () => {
    const simulated = captureIO();
    expect(await runTestCommand(manifestPath, { simulate: true }, simulated)).toBe(0);
    // The simulator's page and fault counts follow its own choices (page sizes, fault schedule): compare those lines without digits.
    const digitless = (line: string) => line.replace(/\d+/g, 'N');
    for (const line of outputOf('test $T/tickets.yaml --simulate')) expect(simulated.out.map(digitless), simulated.out.join('\n')).toContain(digitless(line));

    const replayed = captureIO();
    expect(await runTestCommand(manifestPath, {}, replayed)).toBe(0);
    for (const line of outputOf('npx gwi-connectors test $T/tickets.yaml')) expect(replayed.out).toContain(line);
    expect(replayed.out).toContain('PASS read.pagination[tickets] — 3 recorded interactions replayed');
  });

  it('serve: a sync through the admin API, then a signed webhook stored once and mapped like a polled ticket', async () => {
    const service = await createService({
      dataDir: join(dir, 'data'),
      manifests: [manifest],
      connectionsFile: join(exampleDir, 'connections.yaml'),
      env: { ...env, GWI_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') },
      urlBaseOverride: () => `${server.origin}/api`,
      inbox: 'inline',
      dispatcher: { pollMs: 20 },
    });
    const app = await buildApp({ service, adminToken: 'dev-admin-token-0123456789' });
    const admin = { authorization: 'Bearer dev-admin-token-0123456789' };
    try {
      const sync = await app.inject({ method: 'POST', url: '/api/connections/demo-tickets/sync', headers: admin });
      expect(sync.statusCode).toBe(202);
      const runId = (sync.json() as { run_id: string }).run_id;
      let run: { status: string; records: number } = { status: 'running', records: 0 };
      for (let i = 0; i < 200 && run.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        run = (await app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: admin })).json();
      }
      expect(run).toMatchObject({ status: 'succeeded', records: 9 });

      const body = /^\$ body='(.*)'$/m.exec(doc)?.[1];
      expect(body, "the guide's webhook body").toBeDefined();
      const headers = {
        'content-type': 'application/json',
        'x-tickets-event': 'ticket.updated',
        'x-tickets-delivery': 'd-0001',
        'x-tickets-signature': `sha256=${createHmac('sha256', env.TICKETS_WEBHOOK_SECRET).update(body!).digest('hex')}`,
      };
      const shown = blocks.find((b) => b.lang === 'console' && b.text.includes('$ send d-0001'))?.text.split('\n') ?? [];
      const first = await app.inject({ method: 'POST', url: '/webhooks/tickets/demo-tickets', headers, payload: body! });
      expect(first.statusCode).toBe(202);
      expect(shown).toContain(first.body);
      const again = await app.inject({ method: 'POST', url: '/webhooks/tickets/demo-tickets', headers, payload: body! });
      expect(again.statusCode).toBe(200);
      expect(shown).toContain(again.body);
      const tampered = await app.inject({ method: 'POST', url: '/webhooks/tickets/demo-tickets', headers: { ...headers, 'x-tickets-delivery': 'd-0002' }, payload: body!.replace('open', 'closed') });
      expect(tampered.statusCode).toBe(401);
      expect(tampered.body).toContain('WEBHOOK_SIGNATURE_MISMATCH');

      // The dispatcher maps the delivery in the background: wait for ticket 3 to change.
      const expected = JSON.parse(outputOf('records/tickets?limit=10')[0]!) as unknown;
      let ticket3: unknown;
      for (let i = 0; i < 200 && JSON.stringify(ticket3) !== JSON.stringify(expected); i++) {
        await new Promise((r) => setTimeout(r, 25));
        const listed = (await app.inject({ method: 'GET', url: '/api/connections/demo-tickets/records/tickets?limit=10', headers: admin })).json() as { records: Array<{ id: number }> };
        ticket3 = listed.records.find((r) => r.id === 3);
      }
      expect(ticket3).toEqual(expected);
    } finally {
      await app.close();
      await service.close();
    }
  });
});
