import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default import is the module namespace.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

/** A validator for records of one stream schema; errors read "record 3: /user/login must be string". */
export function recordValidator(schema: unknown): (records: readonly unknown[]) => string | undefined {
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(structuredClone(schema) as object);
  } catch (error) {
    return () => `the stream schema does not compile: ${(error as Error).message}`;
  }
  return (records) => {
    for (const [index, record] of records.entries()) {
      if (!validate(record)) {
        const e = validate.errors?.[0];
        return `record ${index + 1} of ${records.length}: ${e?.instancePath || '(root)'} ${e?.message ?? 'is invalid'}${e?.params && 'missingProperty' in e.params ? ` (${String(e.params.missingProperty)})` : ''}`;
      }
    }
    return undefined;
  };
}
