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
    // A path with a group-by is not a plain path (the native subset returned the body itself: review11 #9).
    expect(await compileKeyTemplate("{{ body{ 'k': v } }}")({ body: { v: 'x' } })).toEqual({ k: 'x' });
    const conditional = '{{ $exists(body.event_id) ? body.event_id : body.trigger_id }}';
    expect(await compileKeyTemplate(conditional)({ body: { trigger_id: 't.1' } })).toBe('t.1');
    expect(await compileKeyTemplate("{{ $string(body.a) & ':' & $uppercase(body.b) }}")({ body: { a: 1, b: 'x' } })).toBe('1:X');
  });
  it('absent or empty inside an expression JSONata evaluates: a condition, a function (providers11 F1: a Plane edit was dropped as a duplicate)', async () => {
    // Plane v1 bodies carry no event_id: the key is joined from body fields, in a condition.
    const plane = "{{ $exists(body.event_id) ? body.event_id : body.webhook_id & ':' & body.event & ':' & body.action & ':' & body.data.id & ':' & body.data.updated_at }}";
    const v1 = (data: Record<string, unknown>) => ({ body: { event: 'issue', action: 'updated', webhook_id: 'wh-1', data: { id: 'wi-77', ...data } } });
    expect(await compileKeyTemplate(plane)(v1({ updated_at: '2026-11-26T10:00:00Z' }))).toBe('wh-1:issue:updated:wi-77:2026-11-26T10:00:00Z');
    expect(await compileKeyTemplate(plane)(v1({ name: 'first edit' }))).toBeUndefined();
    expect(await compileKeyTemplate(plane)({ body: { event_id: 'ev-1' } })).toBe('ev-1');
    expect(await compileKeyTemplate("{{ $string(body.a) & ':' }}")({ body: {} })).toBeUndefined();
    expect(await compileKeyTemplate("{{ $lowercase(body.a & ':' & body.b) }}")({ body: { a: 'A' } })).toBeUndefined();
    // Text around an expression JSONata evaluates: each {{ }} must render something too.
    expect(await compileKeyTemplate('{{ $string(body.a) }}:{{ body.b }}')({ body: { b: 'x' } })).toBeUndefined();
    expect(await compileKeyTemplate('{{ $string(body.a) }}:{{ body.b }}')({ body: { a: 2, b: 'x' } })).toBe('2:x');
    // Objects and lists in mixed text read as JSON, as in every template: two different ones never share a key (review11 #2).
    const mixed = '{{ $string(body.a) }}:{{ body.o }}';
    expect(await compileKeyTemplate(mixed)({ body: { a: 'x', o: { id: 1 } } })).toBe('x:{"id":1}');
    expect(await compileKeyTemplate(mixed)({ body: { a: 'x', o: ['p,q'] } })).not.toBe(await compileKeyTemplate(mixed)({ body: { a: 'x', o: ['p', 'q'] } }));
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

describe('the missing-part rule changes nothing when every part is there', () => {
  it('renders as plain JSONata for expressions of every shape (the rewrite only wraps & operands)', async () => {
    const { compileTemplate } = await import('../expressions/index.js');
    const scope = {
      headers: { 'x-id': 'h1', 'x-n': '7' },
      body: { id: 42, kind: 'issue', items: [{ k: 'a', v: 1 }, { k: 'b', v: 2 }], data: { id: 'd-1', at: '2026-11-26T10:00:00Z' }, tag: 'Mixed Case' },
    };
    const sources = [
      "{{ $exists(body.event_id) ? body.event_id : body.kind & ':' & body.data.id & ':' & body.data.at }}",
      "{{ $uppercase(body.kind) & '-' & $string(body.id) & '-' & headers.`x-id` }}",
      "{{ $join(body.items.(k & '=' & $string(v)), ',') }}",
      "{{ body.items[v > 1].(k & ':' & $string(v)) }}",
      "{{ $lowercase($replace(body.tag, ' ', '_')) & '@' & headers.`x-n` }}",
      "{{ body.kind = 'issue' ? ('i:' & body.data.id) : ('o:' & body.data.id) }}",
      "{{ (function($a, $b) { $a & '/' & $b })(body.kind, body.data.id) }}",
      "{{ $substringBefore(body.data.at, 'T') & '#' & body.id }}",
      '{{ body.kind }}/{{ body.data.id }}/{{ $string(body.id) }}',
    ];
    for (const source of sources) {
      expect(await compileKeyTemplate(source)(scope), source).toEqual(await compileTemplate(source).render(scope));
    }
  });
});

