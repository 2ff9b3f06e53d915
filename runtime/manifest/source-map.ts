import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConnectorError, type SourceLocation } from '../errors/index.js';
import { scalarOffset, type ScalarStyle } from './scalar-offset.js';

/**
 * YAML → plain JS values, remembering where every key and value came from. Positions are kept per
 * container object (a WeakMap keyed by the JS object), so `$ref` resolution can build new objects
 * whose keys still point at their text, and `locate(path)` works on the final, resolved tree.
 */

export type Path = ReadonlyArray<string | number>;

/** Start offsets of a key and its value in the text. */
export interface Span {
  key?: number;
  value: number;
  /** For scalar values: how the scalar is written (plain, quoted, block). */
  style?: ScalarStyle;
}

export interface ContainerInfo {
  /** Where the mapping/sequence itself starts. */
  start: number;
  children: Map<string | number, Span>;
}

export class SourceMap {
  readonly #info = new WeakMap<object, ContainerInfo>();
  readonly #lines: LineCounter;
  readonly file: string;
  readonly #text: string;

  constructor(file: string, lines: LineCounter, text: string) {
    this.file = file;
    this.#lines = lines;
    this.#text = text;
  }

  set(container: object, info: ContainerInfo): void {
    this.#info.set(container, info);
  }

  get(container: object): ContainerInfo | undefined {
    return this.#info.get(container);
  }

  /** Where `path` is in `root`: the value's position, or the key's when `at` is 'key'. Falls back to the nearest ancestor with a position (defaults have none). */
  locate(root: unknown, path: Path, at: 'key' | 'value' = 'value'): SourceLocation {
    let offset: number | undefined = typeof root === 'object' && root !== null ? this.#info.get(root)?.start : undefined;
    let current: unknown = root;
    for (let i = 0; i < path.length; i++) {
      if (typeof current !== 'object' || current === null) break;
      const segment = path[i] as string | number;
      const span = this.#info.get(current)?.children.get(segment);
      if (!span) break;
      offset = at === 'key' && i === path.length - 1 && span.key !== undefined ? span.key : span.value;
      current = (current as Record<string | number, unknown>)[segment];
    }
    return { ...this.position(offset), path: formatPath(path) };
  }

  /** Where character `index` of the string at `path` is, when the scalar's form allows; else the scalar's start. */
  locateWithin(root: unknown, path: Path, index: number): SourceLocation {
    const location = this.locate(root, path);
    let container: unknown = root;
    for (const segment of path.slice(0, -1)) {
      container = typeof container === 'object' && container !== null ? (container as Record<string | number, unknown>)[segment] : undefined;
    }
    const last = path[path.length - 1];
    if (typeof container !== 'object' || container === null || last === undefined) return location;
    const span = this.#info.get(container)?.children.get(last);
    const value = (container as Record<string | number, unknown>)[last];
    if (!span || typeof value !== 'string') return location;
    const offset = scalarOffset(this.#text, span.value, span.style, value, index);
    return offset === undefined ? location : { ...this.position(offset), path: location.path };
  }

  position(offset: number | undefined): SourceLocation {
    if (offset === undefined) return { file: this.file };
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

/** `streams.issues.on_response[0].when` */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

export interface ParsedYaml {
  value: unknown;
  source: SourceMap;
  problems: ConnectorError[];
}

export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source = new SourceMap(file, lines, text);
  const problems = [...document.errors, ...document.warnings].map(
    (error) =>
      new ConnectorError('MANIFEST_YAML_SYNTAX', firstLine(error.message), {
        location: source.position(error.pos[0]),
        hint: 'Fix the YAML syntax at this position.',
      }),
  );
  const value = problems.length > 0 ? undefined : convert(document.contents as Node | null, document, source);
  return { value, source, problems };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function convert(node: Node | null, document: Document, source: SourceMap): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return convert(node.resolve(document) as Node | null, document, source);
  if (isScalar(node)) return node.value;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const children = new Map<string | number, Span>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const valueNode = pair.value as Node | null;
      out[key] = convert(valueNode, document, source);
      const keyOffset = keyNode?.range?.[0];
      const valueOffset = valueNode?.range?.[0] ?? keyOffset ?? node.range?.[0] ?? 0;
      const span: Span = keyOffset === undefined ? { value: valueOffset } : { key: keyOffset, value: valueOffset };
      if (isScalar(valueNode) && valueNode.type) span.style = valueNode.type;
      children.set(key, span);
    }
    source.set(out, { start: node.range?.[0] ?? 0, children });
    return out;
  }
  if (isSeq(node)) {
    const out: unknown[] = [];
    const children = new Map<string | number, Span>();
    node.items.forEach((item, index) => {
      const itemNode = item as Node | null;
      out.push(convert(itemNode, document, source));
      const span: Span = { value: itemNode?.range?.[0] ?? node.range?.[0] ?? 0 };
      if (isScalar(itemNode) && itemNode.type) span.style = itemNode.type;
      children.set(index, span);
    });
    source.set(out, { start: node.range?.[0] ?? 0, children });
    return out;
  }
  return null;
}
