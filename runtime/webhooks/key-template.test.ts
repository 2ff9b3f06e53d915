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

describe('compileKeyTemplate gives the same result as the JSONata template', () => {
  for (const [name, source] of Object.entries(cases)) {
    it(name, async () => {
      for (const scope of scopes) expect(await compileKeyTemplate(source)(scope)).toEqual(await compileTemplate(source).render(scope));
    });
  }
});

describe('readsHeadersOnly (the body need not be parsed to render the key)', () => {
  it('is true for header paths and literals joined with &', () => {
    expect(readsHeadersOnly(cases['header path'])).toBe(true);
    expect(readsHeadersOnly(cases['hook id and delivery'])).toBe(true);
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
