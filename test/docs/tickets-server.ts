/** Starts docs/examples/tickets/server.mjs on a free port, as a reader of the docs would (node, no tsx). */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export interface TicketsServer {
  /** e.g. http://127.0.0.1:39817 */
  origin: string;
  close(): Promise<void>;
}

export async function startTicketsServer(exampleDir: string, apiKey: string): Promise<TicketsServer> {
  const child: ChildProcess = spawn(process.execPath, [join(exampleDir, 'server.mjs'), '--port', '0'], {
    env: { ...process.env, TICKETS_API_KEY: apiKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server.mjs exited with ${code} before listening: ${out}`)));
    child.once('error', reject);
  });
  return {
    origin,
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
