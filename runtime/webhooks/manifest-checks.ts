import { ConnectorError } from '../errors/index.js';
import { isTemplate, parseJsonata, splitTemplate, walkJsonata, type JsonataNode } from '../expressions/index.js';
import { suggestion } from '../manifest/levenshtein.js';
import type { Path, SourceMap } from '../manifest/source-map.js';

type Node = JsonataNode;

/**
 * Mistakes in `webhooks:` that the schema cannot see and that would otherwise show only as refused
 * or lost deliveries, found at load (so `validate` reports them at file:line:col):
 * - a `delivery_id` with no `{{ }}`: the same key for every delivery, so all but the first would be
 *   answered as duplicates and dropped;
 * - a header read in upper case, or without backticks around a name with `-` (a subtraction):
 *   header names are lower-cased when a request arrives, so the path reads nothing;
 * - a secret read from a config key the spec does not declare: never set, and not sealed at rest.
 */
export function webhookProblems(root: unknown, source: SourceMap): ConnectorError[] {
  const webhooks = isRecord(root) ? root['webhooks'] : undefined;
  if (!isRecord(webhooks)) return [];
  const problems: ConnectorError[] = [];
  const problem = (path: Path, message: string, hint: string) => problems.push(new ConnectorError('MANIFEST_SCHEMA', message, { location: source.locate(root, path), hint }));

  const deliveryId = webhooks['delivery_id'];
  if (typeof deliveryId === 'string' && !isTemplate(deliveryId)) {
    problem(['webhooks', 'delivery_id'], `webhooks.delivery_id ${JSON.stringify(deliveryId)} has no {{ }}: it is the same key for every delivery, so every delivery after the first would be answered as a duplicate and dropped`,
      'Wrap what the key reads in {{ }}, e.g. "{{ headers.`x-github-delivery` }}".');
  }

  for (const { path, text, kind } of headerReaders(webhooks)) {
    for (const mistake of headerMistakes(text, kind)) problem(path, `webhooks.${path.slice(1).join('.')} ${mistake.message}`, mistake.hint);
  }

  const signature = webhooks['signature'];
  const secret = isRecord(signature) ? signature['secret'] : undefined;
  const spec = isRecord(root) ? root['spec'] : undefined;
  // Only a spec that names its keys in `properties` alone: keys may also come from patterns,
  // `additionalProperties` schemas or composed branches, which this check does not follow.
  const open = isRecord(spec) && OPEN_KEYWORDS.some((keyword) => keyword === 'additionalProperties' ? isRecord(spec[keyword]) || spec[keyword] === true : spec[keyword] !== undefined);
  const declared = isRecord(spec) && isRecord(spec['properties']) && !open ? Object.keys(spec['properties']) : undefined;
  if (declared !== undefined) {
    const secrets = Array.isArray(secret) ? secret.map((text, index) => ({ text, path: ['webhooks', 'signature', 'secret', index] })) : [{ text: secret, path: ['webhooks', 'signature', 'secret'] }];
    for (const { text, path } of secrets) {
      if (typeof text !== 'string') continue;
      for (const key of configKeys(text)) {
        if (declared.includes(key)) continue;
        problem(path, `webhooks.signature.secret reads config.${key}, which the spec does not declare${suggestion(key, declared)}`,
          `Declare it under spec.properties with secret: true (so it is sealed at rest), or read a key the spec declares: ${declared.join(', ') || '(none)'}.`);
      }
    }
  }
  return problems;
}

const OPEN_KEYWORDS = ['patternProperties', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', '$ref', 'if', 'dependentSchemas'] as const;

/**
 * A template's scope has the request headers as `headers` (and as `$headers`); an expression over a
 * payload (events, handshakes) has them as `$headers` only: there `headers` is a field of the body.
 */
type Kind = 'template' | 'expression';

/** The strings of `webhooks:` that read request headers, with whether each is a template or a bare expression. */
function headerReaders(webhooks: Record<string, unknown>): Array<{ path: Path; text: string; kind: Kind }> {
  const readers: Array<{ path: Path; text: unknown; kind: Kind }> = [
    { path: ['webhooks', 'delivery_id'], text: webhooks['delivery_id'], kind: 'template' },
    { path: ['webhooks', 'event'], text: webhooks['event'], kind: 'template' },
  ];
  const signature = webhooks['signature'];
  if (isRecord(signature)) readers.push({ path: ['webhooks', 'signature', 'signed_content'], text: signature['signed_content'], kind: 'template' });
  const events = isRecord(webhooks['events']) ? webhooks['events'] : {};
  for (const [event, mapping] of Object.entries(events)) {
    const list = Array.isArray(mapping) ? mapping : [mapping];
    list.forEach((route, index) => {
      if (!isRecord(route)) return;
      const at: Path = Array.isArray(mapping) ? ['webhooks', 'events', event, index] : ['webhooks', 'events', event];
      for (const key of ['when', 'record', 'partition']) readers.push({ path: [...at, key], text: route[key], kind: 'expression' });
    });
  }
  const handshakes = Array.isArray(webhooks['handshakes']) ? webhooks['handshakes'] : [];
  handshakes.forEach((handshake, index) => {
    if (!isRecord(handshake)) return;
    for (const key of ['when', 'respond']) readers.push({ path: ['webhooks', 'handshakes', index, key], text: handshake[key], kind: 'expression' });
  });
  return readers.filter((reader): reader is { path: Path; text: string; kind: Kind } => typeof reader.text === 'string');
}

/** Expressions of a template or an expression, parsed; those that do not parse are reported by the schema check. */
function parsed(text: string, kind: Kind): Node[] {
  let sources: string[];
  try {
    sources = kind === 'expression' ? [text] : splitTemplate(text).flatMap((part) => (typeof part === 'string' ? [] : [part.expression]));
  } catch {
    return [];
  }
  return sources.flatMap((expression) => {
    const ast = parseJsonata(expression);
    return ast ? [ast] : [];
  });
}

/** A path that starts at the request headers (`$headers`; in a template also `headers`), and its header name. */
function headerName(node: Node | undefined, kind: Kind): string | undefined {
  const [first, second] = node?.type === 'path' ? (node.steps ?? []) : [];
  if (!first || first.value !== 'headers' || !(first.type === 'variable' || (first.type === 'name' && kind === 'template'))) return undefined;
  return second?.type === 'name' && typeof second.value === 'string' ? second.value : undefined;
}

function headerMistakes(text: string, kind: Kind): Array<{ message: string; hint: string }> {
  const mistakes: Array<{ message: string; hint: string }> = [];
  const visit = (node: Node): boolean => {
    const name = headerName(node, kind);
    if (name !== undefined && name !== name.toLowerCase()) {
      mistakes.push({
        message: `reads the header \`${name}\` in upper case, which no request has: header names are lower-cased when a request arrives`,
        hint: `Write ${node.steps![0]!.type === 'variable' ? '$' : ''}headers.\`${name.toLowerCase()}\`.`,
      });
    }
    const dashed = node.type === 'binary' && node.value === '-' ? subtractedName(node, kind) : undefined;
    if (dashed !== undefined) {
      mistakes.push({
        message: `reads headers.${dashed} as a subtraction (headers.${dashed.split('-').join(' minus ')}), not the header \`${dashed}\``,
        hint: `Put a header name with "-" in backticks: headers.\`${dashed.toLowerCase()}\`.`,
      });
      return false;
    }
    return true;
  };
  for (const ast of parsed(text, kind)) walkJsonata(ast, visit);
  return mistakes;
}

/** `headers.x-github-delivery` parses as ((headers.x - github) - delivery): the name it was meant to be, or undefined. */
function subtractedName(node: Node, kind: Kind): string | undefined {
  const right = node.rhs?.type === 'path' && node.rhs.steps?.length === 1 && node.rhs.steps[0]!.type === 'name' ? String(node.rhs.steps[0]!.value) : undefined;
  if (right === undefined || !node.lhs) return undefined;
  const left = node.lhs.type === 'binary' && node.lhs.value === '-' ? subtractedName(node.lhs, kind) : node.lhs.steps?.length === 2 ? headerName(node.lhs, kind) : undefined;
  return left === undefined ? undefined : `${left}-${right}`;
}

/** The config keys a template reads directly (`config.key`, `$config.key`). */
function configKeys(text: string): string[] {
  const keys: string[] = [];
  for (const ast of parsed(text, 'template')) {
    walkJsonata(ast, (node) => {
      const [first, second] = node.type === 'path' ? (node.steps ?? []) : [];
      if (first?.value === 'config' && (first.type === 'name' || first.type === 'variable') && second?.type === 'name' && typeof second.value === 'string') keys.push(second.value);
      return true;
    });
  }
  return keys;
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
