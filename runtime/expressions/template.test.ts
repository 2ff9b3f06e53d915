import { describe, expect, it } from 'vitest';
import { isConnectorError } from '../errors/index.js';
import { compileExpression } from './expression.js';
import { compileTemplate, isTemplate } from './template.js';

const scope = { config: { token: 'abc', per_page: 100, repos: ['a/b', 'c/d'], nested: { x: 1 } }, partition: { repo: 'a/b' } };

describe('compileTemplate', () => {
  it('keeps the value type when the string is exactly one expression', async () => {
    expect(await compileTemplate('{{ config.per_page }}').render(scope)).toBe(100);
    expect(await compileTemplate('{{ config.repos }}').render(scope)).toEqual(['a/b', 'c/d']);
    expect(await compileTemplate('{{ config.nested }}').render(scope)).toEqual({ x: 1 });
  });

  it('renders mixed text to a string', async () => {
    expect(await compileTemplate('/repos/{{ partition.repo }}/pulls?n={{ config.per_page }}').render(scope)).toBe('/repos/a/b/pulls?n=100');
  });

  it('renders a missing value as undefined alone and as empty text when mixed', async () => {
    expect(await compileTemplate('{{ config.missing }}').render(scope)).toBeUndefined();
    expect(await compileTemplate('x{{ config.missing }}y').render(scope)).toBe('xy');
  });

  it('returns constant strings as they are', async () => {
    const template = compileTemplate('application/json');
    expect(template.isConstant).toBe(true);
    expect(await template.render(scope)).toBe('application/json');
  });

  it('binds scope variables as $variables too', async () => {
    expect(await compileTemplate('{{ $partition.repo }}').render(scope)).toBe('a/b');
  });

  it('lets braces nest inside an expression', async () => {
    expect(await compileTemplate('{{ {"a": config.per_page} }}').render(scope)).toEqual({ a: 100 });
    expect(await compileTemplate("{{ config.token & '}}' }}").render(scope)).toBe('abc}}');
  });

  it('keeps single-item arrays as arrays', async () => {
    expect(await compileTemplate('{{ [config.token] }}').render(scope)).toEqual(['abc']);
  });

  it('reports an unclosed or empty template and a bad expression with MANIFEST_EXPRESSION', () => {
    for (const source of ['{{ config.token', '{{ }}', '{{ config.( }}']) {
      try {
        compileTemplate(source);
        expect.fail(`${source} should not compile`);
      } catch (error) {
        expect(isConnectorError(error) && error.code).toBe('MANIFEST_EXPRESSION');
      }
    }
  });

  it('isTemplate tells templates from plain strings', () => {
    expect(isTemplate('{{ a }}')).toBe(true);
    expect(isTemplate('plain')).toBe(false);
  });
});

describe('compileExpression', () => {
  it('caches compiled expressions by source', () => {
    expect(compileExpression('a.b')).toBe(compileExpression('a.b'));
  });

  it('reports evaluation errors with EXPRESSION_EVALUATION', async () => {
    await expect(compileExpression('$number("x")').evaluate({})).rejects.toMatchObject({ code: 'EXPRESSION_EVALUATION' });
  });

  it('returns plain arrays, not JSONata sequences', async () => {
    const value = await compileExpression('items.id').evaluate({ items: [{ id: 1 }, { id: 2 }] });
    expect(value).toEqual([1, 2]);
    expect((value as { sequence?: boolean }).sequence).toBeUndefined();
  });
});
