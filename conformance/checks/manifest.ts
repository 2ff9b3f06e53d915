import { Ajv } from 'ajv';
import { isMarkedSecret } from '../../runtime/config/index.js';
import { isConnectorError, type ConnectorError } from '../../runtime/errors/index.js';
import { isManifestValidationError, loadManifest, type LoadedManifest } from '../../runtime/manifest/index.js';
import { getPath } from '../simulated/ast.js';
import { resultFor, type CheckResult } from './types.js';

const CREDENTIAL_NAME = /(token|secret|password|passwd|private_key|api_key|apikey|client_secret)$/i;

/**
 * manifest.*: the manifest loads (schema), every expression compiles, every stream has a primary
 * key and a JSON schema that contains it and, when incremental, the cursor field; the spec marks
 * credentials as secrets.
 */
export async function manifestChecks(pathOrName: string): Promise<{ results: CheckResult[]; manifest?: LoadedManifest }> {
  let manifest: LoadedManifest;
  try {
    manifest = await loadManifest(pathOrName);
  } catch (error) {
    if (!isConnectorError(error)) throw error;
    const problems: readonly ConnectorError[] = isManifestValidationError(error) ? error.problems : [error];
    const line = (p: ConnectorError) => p.format();
    const expr = problems.filter((p) => p.code === 'MANIFEST_EXPRESSION');
    const other = problems.filter((p) => p.code !== 'MANIFEST_EXPRESSION');
    const first = (list: readonly ConnectorError[]) => list[0]?.location;
    const mk = (name: string, list: readonly ConnectorError[]): CheckResult =>
      list.length === 0
        ? { name, status: 'pass' }
        : {
            name,
            status: 'fail',
            reason: list.map(line).join(' | '),
            ...(first(list)?.path ? { path: first(list)!.path! } : {}),
            ...(first(list)?.line ? { where: `${first(list)!.file}:${first(list)!.line}:${first(list)!.column ?? 1}` } : {}),
          };
    // Expressions are only compiled once the YAML parsed: a missing or unparsable file says nothing about them.
    const unread = problems.some((p) => p.code === 'MANIFEST_NOT_FOUND' || p.code === 'MANIFEST_YAML_SYNTAX');
    const expressions: CheckResult = unread ? { name: 'manifest.expressions', status: 'skip', reason: 'the manifest could not be read' } : mk('manifest.expressions', expr);
    return { results: [mk('manifest.schema', other), expressions] };
  }
  const r = resultFor(manifest);
  const results: CheckResult[] = [r.pass('manifest.schema'), r.pass('manifest.expressions')];
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
  for (const [name, stream] of Object.entries(manifest.node.streams)) {
    const base = `streams.${name}`;
    const schema = stream.schema as Record<string, unknown> | undefined;
    let schemaOk = false;
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
      results.push(r.fail(`manifest.stream_schema[${name}]`, 'the stream has no JSON schema object', `${base}.schema`));
    } else {
      try {
        ajv.compile(structuredClone(schema));
        schemaOk = true;
        results.push(r.pass(`manifest.stream_schema[${name}]`));
      } catch (error) {
        results.push(r.fail(`manifest.stream_schema[${name}]`, `the schema does not compile: ${(error as Error).message}`, `${base}.schema`));
      }
    }
    const keys = Array.isArray(stream.primary_key) ? stream.primary_key : [stream.primary_key];
    const missingKeys = schemaOk ? keys.filter((k) => !hasProperty(schema, k)) : [];
    results.push(
      missingKeys.length > 0
        ? r.fail(`manifest.primary_key[${name}]`, `primary key ${missingKeys.join(', ')} is not a property of the stream schema`, `${base}.primary_key`)
        : r.pass(`manifest.primary_key[${name}]`),
    );
    if (stream.incremental) {
      if (!stream.cursor_field) results.push(r.fail(`manifest.cursor_field[${name}]`, 'the stream is incremental but has no cursor_field', `${base}.incremental`));
      else if (schemaOk && !hasProperty(schema, stream.cursor_field)) {
        results.push(r.fail(`manifest.cursor_field[${name}]`, `cursor field ${stream.cursor_field} is not a property of the stream schema`, `${base}.cursor_field`));
      } else results.push(r.pass(`manifest.cursor_field[${name}]`));
    }
  }
  results.push(secretsCheck(manifest));
  return { results, manifest };
}

/** A (dotted) field is declared in the schema's properties. */
function hasProperty(schema: unknown, path: string): boolean {
  let current = schema as Record<string, unknown> | undefined;
  for (const key of path.split('.')) {
    const props = current?.properties as Record<string, unknown> | undefined;
    if (!props || !(key in props)) return false;
    current = props[key] as Record<string, unknown>;
  }
  return true;
}

/** Config keys read by auth and webhook secret templates, and credential-looking names, are `secret: true`. */
function secretsCheck(manifest: LoadedManifest): CheckResult {
  const r = resultFor(manifest);
  const spec = manifest.node.spec as Record<string, unknown>;
  const properties = (spec?.properties ?? {}) as Record<string, Record<string, unknown>>;
  const used = new Set<string>();
  const scan = (value: unknown) => {
    if (typeof value === 'string') for (const m of value.matchAll(/\$?config\.(?:`([^`]+)`|([A-Za-z_]\w*))/g)) used.add((m[1] ?? m[2])!);
    else if (Array.isArray(value)) value.forEach(scan);
    else if (value && typeof value === 'object') Object.values(value).forEach(scan);
  };
  scan(manifest.node.auth);
  const signature = getPath(manifest.node, ['webhooks', 'signature', 'secret']);
  scan(signature);
  const notSecret = Object.keys(properties).filter((name) => !isMarkedSecret(spec, properties[name]) && (CREDENTIAL_NAME.test(name) || (used.has(name) && isCredentialUse(manifest, name))));
  if (notSecret.length === 0) return r.pass('manifest.spec_secrets');
  return r.fail('manifest.spec_secrets', `spec field(s) ${notSecret.join(', ')} hold credentials but are not marked \`secret: true\``, `spec.properties.${notSecret[0]}`);
}

/** Auth templates also read non-secret keys (a user name, an installation id): only token-like uses count. */
function isCredentialUse(manifest: LoadedManifest, name: string): boolean {
  const auth = (manifest.node.auth ?? {}) as Record<string, unknown>;
  const fields = ['token', 'value', 'password', 'client_secret', 'refresh_token', 'access_token', 'private_key'];
  const inAuth = fields.some((f) => typeof auth[f] === 'string' && (auth[f] as string).includes(name));
  const sig = JSON.stringify(getPath(manifest.node, ['webhooks', 'signature', 'secret']) ?? '');
  return inAuth || sig.includes(name);
}
