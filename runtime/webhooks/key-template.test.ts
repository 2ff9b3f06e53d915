import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../expressions/index.js';
import { compileKeyTemplate, readsHeadersOnly } from './key-template.js';

const cases = {
  'header path': '{{ headers.`x-github-event` }}',
  'hook id and delivery': "{{ headers.`x-github-hook-id` & ':' & headers.`x-github-delivery` }}",
  'body field': '{{ body.event_id }}',
  'nested body field': '{{ body.event.type }}',
  'number in body': "{{ 'n:' & body.n }}",
  'array on the path (JSONata maps)': '{{ body.list.id }}',
  'function (JSONata only)': '{{ $uppercase(body.event_id) }}',
  'mixed text': 'id-{{ body.event_id }}',
};
const scopes = [
  { headers: { 'x-github-event': 'push', 'x-github-hook-id': '1', 'x-github-delivery': 'g' }, body: { event_id: 'E1', event: { type: 'message' }, n: 42, list: [{ id: 1 }, { id: 2 }] } },
  { headers: {}, body: {} },
  { headers: { 'x-github-hook-id': '1' }, body: { n: 1.5, event: null } },
];

/** Scopes (by index) where a joined key reads a part the request lacks: JSONata joins "", keys are missing. */
const missingPart: Partial<Record<keyof typeof cases, number[]>> = { 'hook id and delivery': [1, 2], 'number in body': [1], 'mixed text': [1, 2] };

describe('compileKeyTemplate gives the same result as the JSONata template', () => {
  for (const [name, source] of Object.entries(cases)) {
    it(name, async () => {
      for (const [i, scope] of scopes.entries()) {
        const expected = missingPart[name as keyof typeof cases]?.includes(i) ? undefined : await compileTemplate(source).render(scope);
        expect(await compileKeyTemplate(source)(scope)).toEqual(expected);
      }
    });
  }
});

describe('a key joined from parts is missing when a part is', () => {
  const headers = (h: Record<string, string>) => ({ headers: h, body: {} });
  it('absent or empty, with & or with text around {{ }}', async () => {
    const joined = "{{ headers.a & ':' & headers.b }}";
    const mixed = '{{ headers.a }}:{{ headers.b }}';
    for (const source of [joined, mixed]) {
      expect(await compileKeyTemplate(source)(headers({ a: '1', b: 'g' }))).toBe('1:g');
      expect(await compileKeyTemplate(source)(headers({ b: 'g' }))).toBeUndefined();
      expect(await compileKeyTemplate(source)(headers({ a: '', b: 'g' }))).toBeUndefined();
      expect(await compileKeyTemplate(source)(headers({ a: '1' }))).toBeUndefined();
    }
  });
  it('but separators at its ends are ordinary text when every part is there', async () => {
    expect(await compileKeyTemplate("{{ headers.a & ':' & headers.b }}")(headers({ a: '-1', b: 'id_' }))).toBe('-1:id_');
    expect(await compileKeyTemplate('{{ headers.`idempotency-key` }}')(headers({ 'idempotency-key': 'k3y-' }))).toBe('k3y-');
  });
  it('a key computed by an expression (a function, a condition) is JSONata\'s', async () => {
    const conditional = '{{ $exists(body.event_id) ? body.event_id : body.trigger_id }}';
    expect(await compileKeyTemplate(conditional)({ body: { trigger_id: 't.1' } })).toBe('t.1');
    expect(await compileKeyTemplate("{{ $string(body.a) & ':' }}")({ body: {} })).toBe(':');
  });
});

describe('readsHeadersOnly (the body need not be parsed to render the key)', () => {
  it('is true for header paths and literals joined with &', () => {
    expect(readsHeadersOnly(cases['header path'])).toBe(true);
    expect(readsHeadersOnly(cases['hook id and delivery'])).toBe(true);
    expect(readsHeadersOnly('{{ headers.a }}:{{ headers.b }}')).toBe(true);
  });
  it('is false for body paths, functions, mixed text and anything outside the native subset', () => {
    for (const name of ['body field', 'nested body field', 'number in body', 'array on the path (JSONata maps)', 'function (JSONata only)', 'mixed text'] as const) {
      expect(readsHeadersOnly(cases[name])).toBe(false);
    }
    expect(readsHeadersOnly("{{ headers.a & body.b }}")).toBe(false);
    expect(readsHeadersOnly('{{ $$.headers.a }}')).toBe(false);
    expect(readsHeadersOnly('{{ headers[0].a }}')).toBe(false);
  });
});
