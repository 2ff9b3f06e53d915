import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AirbyteMessage } from '../../runtime/protocol/messages.js';
import { issues, manifest, startServer, type TestServer } from './support.js';

const TOKEN = 'cli_secret_token_987654321';
let server: TestServer;
let dir: string;

/** Runs the real CLI entry point (TypeScript through tsx), in its own process. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; messages: AirbyteMessage[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/cli/main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, messages: stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AirbyteMessage) }));
  });
}

beforeAll(async () => {
  server = await startServer(({ headers, path }) => {
    if (headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { message: `bad credentials ${String(headers.authorization)}` } };
    if (path === '/user') return { body: { login: 'me' } };
    return { body: issues(3) };
  });
  dir = mkdtempSync(join(tmpdir(), 'engine-cli-'));
  writeFileSync(join(dir, 'm.yaml'), manifest(`    cursor_field: updated_at
    request: { path: /items }
    incremental: {}`, 'auth: { type: bearer, token: "{{ config.token }}" }\ncheck: { path: /user }'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ base_url: server.url, token: '${ENGINE_TEST_TOKEN}' }));
  writeFileSync(join(dir, 'state.json'), JSON.stringify([{ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 'items' }, stream_state: { cursor: issues(3)[1]!.updated_at } } } }]));
});
afterAll(async () => { await server.close(); });

describe('gwi-connectors check / discover / read', () => {
  it('read prints RECORD, STATE and stream statuses as JSON lines, with ${ENV} config and a state file', async () => {
    const { code, messages } = await cli(['read', join(dir, 'm.yaml'), '--config', join(dir, 'config.json'), '--state', join(dir, 'state.json')], { ENGINE_TEST_TOKEN: TOKEN });
    expect(code).toBe(0);
    expect(messages.filter((m) => m.type === 'RECORD').map((m) => m.type === 'RECORD' && m.record.data.id)).toEqual([3]);
    expect(messages.find((m) => m.type === 'STATE')).toMatchObject({ state: { stream: { stream_state: { cursor: issues(3)[2]!.updated_at } } } });
  });

  it('read exits 1 with a TRACE error on a bad credential, and never prints the secret', async () => {
    const { code, stdout, stderr, messages } = await cli(['read', join(dir, 'm.yaml'), '--config', join(dir, 'config.json')], { ENGINE_TEST_TOKEN: 'wrong_token_value_123' });
    expect(code).toBe(1);
    expect(messages.some((m) => m.type === 'TRACE' && m.trace.type === 'ERROR' && m.trace.error.failure_type === 'config_error')).toBe(true);
    expect(stdout + stderr).not.toContain('wrong_token_value_123');
  });

  it('check and discover', async () => {
    const check = await cli(['check', join(dir, 'm.yaml'), '--config', join(dir, 'config.json')], { ENGINE_TEST_TOKEN: TOKEN });
    expect(check.messages).toEqual([{ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } }]);
    const discover = await cli(['discover', join(dir, 'm.yaml'), '--config', join(dir, 'config.json')], { ENGINE_TEST_TOKEN: TOKEN });
    expect(discover.messages[0]).toMatchObject({ type: 'CATALOG', catalog: { streams: [{ name: 'items', supported_sync_modes: ['full_refresh', 'incremental'], default_cursor_field: ['updated_at'], source_defined_primary_key: [['id']] }] } });
  });
});
