import type autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { ADMIN_TOKEN, githubHeaders, githubIssuePayload, signGithub } from '../../test/support/serve-process.js';

/**
 * What every ingest bench sends: a signed GitHub `issues` delivery of `bytes` bytes, with a fresh
 * delivery id per request, so every request is a new delivery, never a duplicate.
 */
export function signedWebhookRequests(bytes = 4096): autocannon.Request[] {
  const body = githubIssuePayload(bytes);
  const signature = signGithub(body);
  return [{ method: 'POST', body, setupRequest: (request) => ({ ...request, headers: githubHeaders(body, randomUUID(), signature) }) }];
}

/** user + system CPU ms in one /proc stat line (fields after the command name; clock ticks of 1/100 s). */
function statCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time used so far by a process (all its threads, ended ones included), from /proc: unlike
 * req/s, this barely depends on what else the machine runs, so it compares builds on a busy machine.
 */
export function processCpuMs(pid: number | undefined): number {
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return NaN;
  }
}

/** CPU ms used so far by each live thread of `pid`, by "tid:name". */
export function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      out.set(`${tid}:${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`, statCpuMs(stat));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * Waits until serve's dispatcher has mapped every stored delivery (none pending or failed), so its
 * catch-up work never overlaps the next run (the baseline's in particular). Returns the seconds it took.
 */
export async function waitDrained(url: string): Promise<number> {
  const started = Date.now();
  const waiting = async (status: string) => {
    const reply = await fetch(`${url}/api/deliveries?status=${status}&limit=1`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await reply.json()) as { deliveries: unknown[] }).deliveries.length > 0;
  };
  while (Date.now() - started < 300_000 && ((await waiting('pending')) || (await waiting('failed')))) await new Promise((r) => setTimeout(r, 100));
  return (Date.now() - started) / 1000;
}
