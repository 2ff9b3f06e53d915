export { compileExpression } from './expression.js';
export type { Expression } from './expression.js';
export { compileTemplate, isTemplate, splitTemplate } from './template.js';
export type { Scope, Template } from './template.js';
