export { compileExpression } from './expression.js';
export type { Expression } from './expression.js';
export { compileTemplate, isTemplate, splitTemplate, templateText } from './template.js';
export type { Scope, Template } from './template.js';
export { parseJsonata, walkJsonata, type JsonataNode } from './ast.js';
