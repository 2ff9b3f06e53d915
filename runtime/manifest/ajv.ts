import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { compileExpression, compileTemplate } from '../expressions/index.js';
import { isConnectorError } from '../errors/index.js';
import { EXPR_KEYWORD } from './schema-helpers.js';
import { manifestValidationSchema } from './json-schema.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module namespace.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

/** Keywords config specs may carry besides standard JSON Schema. */
export const SPEC_KEYWORDS = ['secret', 'order', 'airbyte_secret'] as const;

/**
 * `x-expr` compiles the expression or template in place: a bad one fails validation at its node with
 * the JSONata message. Compiled expressions are cached by source, so components get them for free.
 */
function exprValidator(kind: unknown, data: unknown): boolean {
  const self = exprValidator as unknown as { errors: Partial<ErrorObject>[] | null };
  try {
    if (kind === 'expression') compileExpression(String(data));
    else compileTemplate(String(data));
    self.errors = null;
    return true;
  } catch (error) {
    const message = isConnectorError(error) || error instanceof Error ? error.message : String(error);
    // JSONata errors carry the (1-based) position of the offending token: the loader points at it.
    const cause = isConnectorError(error) ? (error.cause as { position?: unknown } | undefined) : undefined;
    const position = typeof cause?.position === 'number' ? cause.position : undefined;
    self.errors = [{ keyword: EXPR_KEYWORD, message, params: { kind, position } }];
    return false;
  }
}

let manifestValidator: ValidateFunction | undefined;

export function manifestSchemaValidator(): ValidateFunction {
  if (!manifestValidator) {
    const ajv = new Ajv({
      strict: true,
      strictTypes: false, // unions mix types on purpose (a template or a number)
      strictRequired: false,
      allErrors: true,
      verbose: true, // errors carry their schema and data: the messages need both
      // Defaults are applied by defaults.ts before validation: ajv's useDefaults ignores (and strict
      // mode rejects) defaults inside anyOf, and most components are unions.
      useDefaults: false,
    });
    addFormats(ajv);
    ajv.addKeyword({ keyword: EXPR_KEYWORD, type: 'string', schemaType: 'string', errors: true, validate: exprValidator });
    manifestValidator = ajv.compile(manifestValidationSchema() as AnySchema);
  }
  return manifestValidator;
}

/** An ajv for connection specs (the `spec` JSON Schema): defaults applied, `secret: true` allowed. */
export function createSpecAjv(): Ajv {
  const ajv = new Ajv({
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allErrors: true,
    useDefaults: true,
    verbose: true,
    coerceTypes: true, // "${PORT}" expands to a string; an integer field should still accept it
  });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'order', schemaType: 'number' });
  ajv.addKeyword({ keyword: 'airbyte_secret', schemaType: 'boolean' });
  return ajv;
}
