import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { LoadedManifest } from '../../runtime/manifest/index.js';

/** ajv validators of every stream's record schema (the `schema:` key), compiled once. */
export interface StreamValidators {
  /** Human-readable schema problems of one record of a stream ([] when it conforms). */
  problems(stream: string, record: unknown): string[];
}

export function streamValidators(manifest: LoadedManifest): StreamValidators {
  const ajv = new Ajv({ allErrors: true, strict: false });
  // ajv-formats is CommonJS with a default export; under NodeNext the callable is on `.default`.
  (addFormats as unknown as { default: (a: Ajv) => void }).default(ajv);
  const compiled = new Map<string, ValidateFunction>();
  for (const [name, stream] of Object.entries(manifest.node.streams)) compiled.set(name, ajv.compile(structuredClone(stream.schema) as object));
  return {
    problems(stream, record) {
      const validate = compiled.get(stream);
      if (!validate) return [`no stream ${stream}`];
      return validate(record) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    },
  };
}
