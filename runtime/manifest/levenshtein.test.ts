import { describe, expect, it } from 'vitest';
import { didYouMean, levenshtein } from './levenshtein.js';

describe('levenshtein / didYouMean', () => {
  it('counts edits', () => {
    expect(levenshtein('pagnation', 'pagination')).toBe(1);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
  });

  it('suggests a close key, a unique prefix, and nothing for unrelated input', () => {
    expect(didYouMean('pagnation', ['pagination', 'partitions'])).toBe('pagination');
    expect(didYouMean('link', ['none', 'link_header', 'cursor'])).toBe('link_header');
    expect(didYouMean('zzzzzz', ['pagination', 'partitions'])).toBeUndefined();
  });
});
