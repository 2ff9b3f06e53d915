import { ConnectorError } from '../errors/index.js';
import { compileTemplate, type Scope } from '../expressions/index.js';
import { credentialFields } from './credential-fields.js';

/** Render an auth template to text (undefined/null → ''). */
export async function renderText(source: string, scope: Scope): Promise<string> {
  const value = await compileTemplate(source).render(scope);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

/** Render a required credential; an empty one is an error naming the config key to set. */
export async function renderRequired(source: string, scope: Scope, what: string): Promise<string> {
  const value = await renderText(source, scope);
  if (value !== '') return value;
  const fields = credentialFields([source]);
  const fix = fields.length ? `set config ${fields.map((f) => `"${f}"`).join(', ')}` : 'set it in the manifest auth';
  throw new ConnectorError('AUTH_INVALID_CREDENTIALS', `${what} is empty: ${fix}`, { hint: 'The connection config lacks the credential.' });
}

/** Memoise an async computation (the first call's promise is shared; a failure is retried next call). */
export function once<T>(compute: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= compute().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
