import { ConnectorError } from '../errors/index.js';
import { compileTemplate, isTemplate } from '../expressions/index.js';
import type { Path, SourceMap } from './source-map.js';
import { formatPath } from './source-map.js';

/**
 * JSON values that may hold templates inside their strings (a request `body`, GraphQL `variables`)
 * are free-form in the schema, so `x-expr` cannot mark them. Compile their templates here, at load
 * time like every other expression, and report a bad one at its node.
 */
export function embeddedTemplateProblems(root: unknown, source: SourceMap): ConnectorError[] {
  const problems: ConnectorError[] = [];
  const streams = isRecord(root) && isRecord(root['streams']) ? root['streams'] : {};
  for (const [name, stream] of Object.entries(streams)) {
    const request = isRecord(stream) ? stream['request'] : undefined;
    if (!isRecord(request)) continue;
    visit(request['body'], ['streams', name, 'request', 'body'], root, source, problems);
    const graphql = request['graphql'];
    if (isRecord(graphql)) visit(graphql['variables'], ['streams', name, 'request', 'graphql', 'variables'], root, source, problems);
  }
  return problems;
}

function visit(value: unknown, path: Path, root: unknown, source: SourceMap, problems: ConnectorError[]): void {
  if (typeof value === 'string') {
    if (!isTemplate(value)) return;
    try {
      compileTemplate(value);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      problems.push(
        new ConnectorError('MANIFEST_EXPRESSION', `${formatPath(path)}: ${message}`, {
          location: source.locate(root, path),
          hint: 'Fix the expression (JSONata: https://docs.jsonata.org; try it at https://try.jsonata.org).',
        }),
      );
    }
    return;
  }
  if (Array.isArray(value)) value.forEach((item, index) => visit(item, [...path, index], root, source, problems));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) visit(item, [...path, key], root, source, problems);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
