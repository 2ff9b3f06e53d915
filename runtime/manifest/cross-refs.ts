import type { Ajv } from 'ajv';
import { ConnectorError } from '../errors/index.js';
import { suggestion } from './levenshtein.js';
import type { Path, SourceMap } from './source-map.js';

/**
 * Checks the schema cannot express: names that must refer to streams, parent cycles, keys that
 * need each other, and `spec` being a JSON Schema that compiles. Runs on the defaulted tree and
 * guards every access, so it adds its problems even when the schema check found others.
 */
export function crossReferenceProblems(root: unknown, source: SourceMap, specAjv: Ajv): ConnectorError[] {
  const problems: ConnectorError[] = [];
  if (!isRecord(root)) return problems;
  const streams = isRecord(root['streams']) ? root['streams'] : {};
  const names = Object.keys(streams);
  const problem = (code: 'MANIFEST_REFERENCE' | 'MANIFEST_SCHEMA', path: Path, message: string, hint: string) =>
    problems.push(new ConnectorError(code, message, { location: source.locate(root, path), hint }));
  const unknownStream = (path: Path, name: unknown, what: string) => {
    if (typeof name !== 'string' || name in streams) return;
    problem('MANIFEST_REFERENCE', path, `${what} ${JSON.stringify(name)} is not a stream${suggestion(name, names)}`, `Streams: ${names.join(', ') || '(none)'}.`);
  };

  for (const [name, stream] of Object.entries(streams)) {
    if (!isRecord(stream)) continue;
    const partitions = stream['partitions'];
    if (isRecord(partitions) && 'parent' in partitions) {
      unknownStream(['streams', name, 'partitions', 'parent'], partitions['parent'], 'parent');
    }
    if (stream['incremental'] !== undefined && stream['cursor_field'] === undefined) {
      problem('MANIFEST_SCHEMA', ['streams', name, 'incremental'], `streams.${name} has incremental but no cursor_field`, 'Add `cursor_field`: the record field that orders updates, e.g. updated_at.');
    }
  }
  problems.push(...parentCycles(streams, root, source));

  const check = root['check'];
  if (isRecord(check)) unknownStream(['check', 'stream'], check['stream'], 'check.stream');

  const webhooks = root['webhooks'];
  const events = isRecord(webhooks) && isRecord(webhooks['events']) ? webhooks['events'] : {};
  for (const [event, mapping] of Object.entries(events)) {
    const list = Array.isArray(mapping) ? mapping : [mapping];
    list.forEach((item, index) => {
      if (!isRecord(item)) return;
      const path = Array.isArray(mapping) ? ['webhooks', 'events', event, index, 'stream'] : ['webhooks', 'events', event, 'stream'];
      unknownStream(path, item['stream'], `webhooks.events.${event} stream`);
    });
  }

  problems.push(...specProblems(root, source, specAjv));
  return problems;
}

function parentCycles(streams: Record<string, unknown>, root: unknown, source: SourceMap): ConnectorError[] {
  const parentOf = (name: string): string | undefined => {
    const stream = streams[name];
    const partitions = isRecord(stream) ? stream['partitions'] : undefined;
    const parent = isRecord(partitions) ? partitions['parent'] : undefined;
    return typeof parent === 'string' && parent in streams ? parent : undefined;
  };
  const reported = new Set<string>();
  const problems: ConnectorError[] = [];
  for (const start of Object.keys(streams)) {
    const chain = [start];
    for (let next = parentOf(start); next !== undefined; next = parentOf(next)) {
      if (next === start) {
        const cycle = [...chain].sort().join(',');
        if (!reported.has(cycle)) {
          reported.add(cycle);
          problems.push(
            new ConnectorError('MANIFEST_REFERENCE', `streams form a parent cycle: ${[...chain, start].join(' → ')}`, {
              location: source.locate(root, ['streams', start, 'partitions', 'parent']),
              hint: 'A substream cannot be its own ancestor; one stream in the chain must have list partitions or none.',
            }),
          );
        }
        break;
      }
      if (chain.includes(next)) break; // a cycle that does not include `start`: reported from its own members
      chain.push(next);
    }
  }
  return problems;
}

function specProblems(root: Record<string, unknown>, source: SourceMap, specAjv: Ajv): ConnectorError[] {
  const spec = root['spec'];
  const location = source.locate(root, ['spec']);
  const hint = 'Write `spec` as a JSON Schema object: type: object, properties: {...}, required: [...].';
  if (spec === undefined) return []; // reported as a missing key by the schema check
  if (!isRecord(spec)) return [new ConnectorError('MANIFEST_SCHEMA', `spec must be a JSON Schema mapping, got ${Array.isArray(spec) ? 'a list' : JSON.stringify(spec)}`, { location, hint })];
  if (spec['type'] !== 'object') {
    return [new ConnectorError('MANIFEST_SCHEMA', `spec must describe an object (type: object), got type ${JSON.stringify(spec['type'])}`, { location, hint })];
  }
  try {
    specAjv.compile(spec);
    return [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [new ConnectorError('MANIFEST_SCHEMA', `spec is not a valid JSON Schema: ${message}`, { location, hint, cause: error })];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
