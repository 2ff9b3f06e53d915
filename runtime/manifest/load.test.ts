import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors/index.js';
import { loadManifest, parseManifest } from './load.js';
import { ManifestValidationError } from './validation-error.js';

const fixture = fileURLToPath(new URL('./fixtures/good.yaml', import.meta.url));
const good = readFileSync(fixture, 'utf8');

/** The fixture with one edit; fails loudly when the text to replace is not there. */
function edit(from: string, to: string): string {
  expect(good.includes(from), `fixture contains ${from}`).toBe(true);
  return good.replace(from, to);
}

function problemsOf(text: string): ConnectorError[] {
  try {
    parseManifest(text, 'm.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestValidationError);
    return [...(error as ManifestValidationError).problems];
  }
  throw new Error('expected the manifest to be invalid');
}

function only(text: string): ConnectorError {
  const problems = problemsOf(text);
  expect(problems.map((p) => p.format())).toHaveLength(1);
  return problems[0] as ConnectorError;
}

const at = (problem: ConnectorError) => `${problem.location?.line}:${problem.location?.column}`;

describe('loadManifest(good.yaml)', () => {
  it('loads, applies defaults (also inside unions) and resolves $ref with sibling overrides', async () => {
    const manifest = await loadManifest(fixture);
    const issues = manifest.node.streams['issues'];
    expect(manifest.node.concurrency).toBe(4);
    expect(manifest.node.requester.timeout_ms).toBe(30000);
    expect(issues?.request.method).toBe('GET');
    expect(issues?.records).toBe('$');
    expect(issues?.pagination).toEqual({ type: 'link_header', page_size: 100, rel: 'next', stop_on_empty_page: true });
    expect(issues?.partitions).toEqual({ parent: 'repositories', as: 'repository', incremental_parent: false });
    expect(issues?.incremental).toMatchObject({ order: 'descending', client_filter: true });
    expect(manifest.node.webhooks?.signature).toMatchObject({ type: 'hmac', algorithm: 'sha256', encoding: 'hex' });
  });

  it('deep-freezes the node', async () => {
    const manifest = await loadManifest(fixture);
    expect(Object.isFrozen(manifest.node)).toBe(true);
    expect(Object.isFrozen(manifest.node.streams['issues']?.request.params)).toBe(true);
  });

  it('locates paths: a sibling override at its own line, a referenced key at the definition, a default at its parent', async () => {
    const manifest = await loadManifest(fixture);
    expect(manifest.locate(['streams', 'issues', 'pagination', 'page_size'])).toMatchObject({ line: 42, column: 18, path: 'streams.issues.pagination.page_size' });
    expect(manifest.locate(['streams', 'issues', 'pagination', 'type'])).toMatchObject({ line: 15, column: 11 });
    expect(manifest.locate(['streams', 'issues', 'pagination', 'rel'])).toMatchObject({ line: 41, column: 7 });
    expect(manifest.locate(['requester', 'on_response', 0, 'when'])).toMatchObject({ line: 22, column: 15, path: 'requester.on_response[0].when' });
  });

  it('finds a manifest by name in <package root>/manifests and reports a missing one', async () => {
    await expect(loadManifest('no-such-connector')).rejects.toMatchObject({ code: 'MANIFEST_NOT_FOUND' });
    await expect(loadManifest('/nope/x.yaml')).rejects.toMatchObject({ code: 'MANIFEST_NOT_FOUND' });
  });
});

describe('parseManifest() problems', () => {
  it('unknown key, with did-you-mean, at the key', () => {
    const problem = only(edit('      page_size: 100\n', '      page_size: 100\n    pagnation: { type: none }\n'));
    expect(problem.code).toBe('MANIFEST_SCHEMA');
    expect(problem.message).toBe('unknown key "pagnation" in streams.issues; did you mean "pagination"?');
    expect(at(problem)).toBe('43:5');
    expect(problem.location).toMatchObject({ file: 'm.yaml', path: 'streams.issues.pagnation' });
  });

  it('wrong type names the path and the value', () => {
    const problem = only(edit('      page_size: 100\n', '      page_size: "100a"\n'));
    expect(problem.message).toBe('streams.issues.pagination.page_size must be an integer, got "100a"');
    expect(at(problem)).toBe('42:18');
  });

  it('unknown union type: one message, with the choices and a suggestion', () => {
    const problem = only(edit('    type: link_header\n', '    type: link\n'));
    expect(problem.message).toBe(
      'unknown type "link" at streams.issues.pagination; expected one of none, link_header, cursor, offset, page_number, next_url, graphql_relay; did you mean "link_header"?',
    );
    expect(at(problem)).toBe('41:7');
  });

  it('a known union type reports only its own branch errors', () => {
    const problems = problemsOf(edit('auth: { type: bearer, token: "{{ config.token }}" }', 'auth: { type: bearer, tokn: "x" }'));
    expect(problems.map((p) => `${at(p)} ${p.message}`)).toEqual([
      '17:7 auth is missing required key "token"',
      '17:23 unknown key "tokn" in auth; did you mean "token"?',
    ]);
  });

  it('a union given as a bare string says how to write it', () => {
    const problem = only(edit('check: { stream: repositories }', 'check: { stream: repositories }\nhealth_check: { path: /, expected_status: 200 }').replace('auth: { type: bearer, token: "{{ config.token }}" }', 'auth: none'));
    expect(problem.message).toBe('auth must be a mapping with a "type", got "none"; expected one of none, bearer, api_key, basic, oauth2, github_app, selector');
    expect(problem.hint).toBe('Write it as { type: none }.');
    expect(at(problem)).toBe('17:7');
  });

  it('a literal union (enum) suggests the closest value', () => {
    const problem = only(edit('action: ignore', 'action: ignor'));
    expect(problem.message).toBe('requester.on_response[0].action must be one of "retry", "ignore", "fail", "rate_limited", "success", got "ignor"; did you mean "ignore"?');
    expect(at(problem)).toBe('22:39');
  });

  it('a bad JSONata expression is reported at its node', () => {
    const problem = only(edit(`map: '{ "id": id, "title": title, "updated_at": updated_at }'`, `map: '{ "id": id, '`));
    expect(problem.code).toBe('MANIFEST_EXPRESSION');
    expect(problem.message).toMatch(/^streams\.issues\.map: invalid JSONata expression/);
    expect(at(problem)).toBe('44:22'); // the end of the expression, where JSONata gave up
  });

  it('a bad expression in a literal block points at the line and column inside the block', () => {
    const problem = only(
      edit(`    map: '{ "id": id, "title": title, "updated_at": updated_at }'`, '    map: |\n      {\n        "id": id,\n        "title": $uppercase(title,\n      }'),
    );
    expect(problem.code).toBe('MANIFEST_EXPRESSION');
    expect(at(problem)).toBe('48:7');
  });

  it('a bad template is reported at its node', () => {
    const problem = only(edit('path: "/repos/{{ partition.repo }}"', 'path: "/repos/{{ partition.repo ) }}"'));
    expect(problem.code).toBe('MANIFEST_EXPRESSION');
    expect(at(problem)).toBe('30:13');
  });

  it('a bad template inside a JSON body or GraphQL variables is reported at its node', () => {
    const problem = only(edit('      params: { state: all, per_page: 100 }\n', '      params: { state: all, per_page: 100 }\n      body: { filter: { since: "{{ state.cursor ) }}" } }\n'));
    expect(problem.code).toBe('MANIFEST_EXPRESSION');
    expect(problem.location).toMatchObject({ line: 40, column: 32, path: 'streams.issues.request.body.filter.since' });
  });

  it('$ref to a missing definition, with did-you-mean, and no follow-on schema noise', () => {
    const problem = only(edit('$ref: "#/definitions/paged"', '$ref: "#/definitions/page"'));
    expect(problem.code).toBe('MANIFEST_REF');
    expect(problem.message).toBe('$ref at streams.issues.pagination points at a definition that does not exist: "page"; did you mean "paged"?');
    expect(at(problem)).toBe('41:13');
  });

  it('an error inside a referenced definition points at the definition, named by where it is used', () => {
    const problem = only(edit('    page_size: 50\n', '    page_size: 50\n    rel: [next]\n'));
    expect(problem.message).toBe('streams.issues.pagination.rel must be a string, got a list');
    expect(at(problem)).toBe('17:10');
  });

  it('$ref cycle', () => {
    const text = edit('  paged:\n', '  loop_a: { $ref: "#/definitions/loop_b" }\n  loop_b: { $ref: "#/definitions/loop_a" }\n  paged:\n').replace(
      '    records: "$"\n  issues:',
      '    records: "$"\n    pagination: { $ref: "#/definitions/loop_a" }\n  issues:',
    );
    const problem = only(text);
    expect(problem.code).toBe('MANIFEST_REF');
    expect(problem.message).toBe('$ref cycle at streams.repositories.pagination: loop_a → loop_b → loop_a');
    expect(at(problem)).toBe('15:19');
  });

  it('a stream name that breaks the pattern', () => {
    const problems = problemsOf(edit('  repositories:\n    primary_key: id', '  Repositories:\n    primary_key: id'));
    const problem = problems.find((p) => p.message.startsWith('name '));
    expect(problem?.message).toBe('name "Repositories" in streams must match ^[a-z][a-z0-9_]*$');
    expect(at(problem as ConnectorError)).toBe('25:3');
  });

  it('cross-references: parent, check.stream, webhook stream, parent cycle, incremental without cursor_field', () => {
    expect(only(edit('parent: repositories', 'parent: repos')).message).toBe('parent "repos" is not a stream; did you mean "repositories"?');
    expect(only(edit('check: { stream: repositories }', 'check: { stream: repositorie }')).message).toBe(
      'check.stream "repositorie" is not a stream; did you mean "repositories"?',
    );
    expect(only(edit('{ stream: issues, record: issue }', '{ stream: isues, record: issue }')).message).toBe(
      'webhooks.events.issues stream "isues" is not a stream; did you mean "issues"?',
    );
    const cycle = only(edit('partitions: { list: "{{ config.repositories }}", as: repo }', 'partitions: { parent: issues, as: repo }'));
    expect(cycle.code).toBe('MANIFEST_REFERENCE');
    expect(cycle.message).toBe('streams form a parent cycle: repositories → issues → repositories');
    const noCursor = only(edit('    cursor_field: updated_at\n', ''));
    expect(noCursor.message).toBe('streams.issues has incremental but no cursor_field');
    expect(at(noCursor)).toBe('42:18');
  });

  it('spec must be an object schema that compiles', () => {
    expect(only(edit('  type: object\n  required: [token]', '  type: objekt\n  required: [token]')).message).toMatch(/^spec must describe an object/);
    expect(only(edit('required: [token]', 'required: [token]\n  requried: [x]')).message).toMatch(/^spec is not a valid JSON Schema: strict mode: unknown keyword: "requried"/);
  });

  it('collects every problem, in file order, and the error carries the first one', () => {
    const text = edit('      page_size: 100\n', '      page_size: "100a"\n').replace('action: ignore', 'action: ignor');
    try {
      parseManifest(text, 'm.yaml');
      expect.unreachable();
    } catch (error) {
      const e = error as ManifestValidationError;
      expect(e.problems.map(at)).toEqual(['22:39', '42:18']);
      expect(e.code).toBe('MANIFEST_SCHEMA');
      expect(e.location).toMatchObject({ line: 22, column: 39 });
      expect(e.problems[0]?.format()).toMatch(/^m\.yaml:22:39: requester\.on_response\[0\]\.action must be one of/);
    }
  });

  it('YAML syntax errors have a position', () => {
    const problem = problemsOf(edit('name: example', 'name: [example'))[0] as ConnectorError;
    expect(problem.code).toBe('MANIFEST_YAML_SYNTAX');
    expect(problem.location?.line).toBeGreaterThan(0);
  });

  it('a manifest that is not a mapping', () => {
    expect(only('- a\n- b\n').message).toMatch(/must be a YAML mapping/);
  });
});
