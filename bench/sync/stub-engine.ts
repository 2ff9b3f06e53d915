/**
 * A stand-in for `gwi-connectors read` while the engine is being built: the baseline's loop, but the
 * records are mapped by the manifest's JSONata `map`, evaluated once per record with the engine's
 * scope bindings. It bounds what an engine built on per-record JSONata can reach. Not the engine.
 *
 * argv: <manifest> <url of the first page>.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import jsonata from 'jsonata';
import { parse } from 'yaml';

const NEXT = /<([^>]+)>\s*;\s*rel="next"/;

const manifest = parse(readFileSync(process.argv[2] ?? '', 'utf8')) as { streams: { issues: { map: string } } };
const map = jsonata(manifest.streams.issues.map);
const bindings = { config: {}, partition: {}, state: {}, headers: {} };

let url: string | undefined = process.argv[3];
while (url) {
  const response = await fetch(url);
  const issues = JSON.parse(await response.text()) as unknown[];
  const emittedAt = Date.now();
  let out = '';
  for (const issue of issues) {
    const data = (await map.evaluate(issue, bindings)) as Record<string, unknown>;
    out += `${JSON.stringify({ type: 'RECORD', record: { stream: 'issues', data, emitted_at: emittedAt } })}\n`;
  }
  if (!process.stdout.write(out)) await once(process.stdout, 'drain');
  url = NEXT.exec(response.headers.get('link') ?? '')?.[1];
}
