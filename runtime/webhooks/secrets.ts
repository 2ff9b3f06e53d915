import { compileTemplate, type Scope } from '../expressions/index.js';
import type { SignatureNode } from './schema.js';

/**
 * Render a rule's secret template(s) over `{ config }`. A template may render to a list (rotation);
 * empty values are dropped, so "no secret configured" is an empty list the verifier reports as
 * `misconfigured` rather than a mismatch.
 */
export async function renderSecrets(rule: SignatureNode, scope: Scope): Promise<string[]> {
  if (rule.type === 'none') return [];
  const sources = Array.isArray(rule.secret) ? rule.secret : [rule.secret];
  const out: string[] = [];
  for (const source of sources) {
    const value = await compileTemplate(source).render(scope);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string' && item !== '') out.push(item);
      else if (typeof item === 'number') out.push(String(item));
    }
  }
  return out;
}
