import { Type, type ObjectOptions, type SchemaOptions, type TProperties } from '@sinclair/typebox';

/**
 * Schema building blocks shared by every fragment. `x-expr` marks strings that hold expressions: the
 * loader compiles each one at load time and reports a bad one with its line and column.
 */
export const EXPR_KEYWORD = 'x-expr';

/** A string that may contain `{{ expr }}` parts. */
export const Template = (description: string, options: SchemaOptions = {}) =>
  Type.String({ ...options, description, [EXPR_KEYWORD]: 'template' });

/** A bare JSONata expression. */
export const Expr = (description: string, options: SchemaOptions = {}) =>
  Type.String({ ...options, description, [EXPR_KEYWORD]: 'expression' });

/** A template, or a literal scalar (numbers and booleans in `params:` are fine as they are). */
export const TemplateValue = (description: string) =>
  Type.Union([Template('A template or literal string.'), Type.Number(), Type.Boolean()], { description });

/** A map of names to template values (headers, query params). */
export const TemplateMap = (description: string) =>
  Type.Record(Type.String(), TemplateValue('A template or literal value.'), { description });

/** An object with no keys beyond those declared: misspelt keys are errors, not silently ignored. */
export const Strict = <T extends TProperties>(properties: T, options: ObjectOptions = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });

/** Any JSON value (a JSON body template, a JSON Schema...). */
export const AnyJson = (description: string) => Type.Unknown({ description });

/** An ISO 8601 duration such as `PT5M` or `P30D`. */
export const Duration = (description: string) =>
  Type.String({ description, pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$' });
