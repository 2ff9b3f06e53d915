/**
 * Where character `index` of a scalar's value is in the YAML text, for pointing at the exact spot of
 * a JSONata error inside a long `map:` expression. Handles the forms where the mapping is exact:
 * one-line plain or quoted scalars without escapes, and literal blocks (`|`). Otherwise undefined
 * (the caller points at the scalar's start).
 */
export type ScalarStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE' | 'BLOCK_LITERAL' | 'BLOCK_FOLDED';

export function scalarOffset(text: string, start: number, style: ScalarStyle | undefined, value: string, index: number): number | undefined {
  if (index < 0 || index > value.length) return undefined;
  if (style === 'PLAIN' || style === 'QUOTE_SINGLE' || style === 'QUOTE_DOUBLE') {
    const skip = style === 'PLAIN' ? 0 : 1;
    // Only when the source holds the value verbatim (no escapes, no line folding).
    return text.startsWith(value, start + skip) && !value.includes('\n') ? start + skip + index : undefined;
  }
  if (style !== 'BLOCK_LITERAL') return undefined;
  const before = value.slice(0, index).split('\n');
  const lineIndex = before.length - 1;
  const column = (before[lineIndex] ?? '').length;
  // Content starts on the line after the `|` header; its indentation is the first content line's.
  const headerEnd = text.indexOf('\n', start);
  if (headerEnd === -1) return undefined;
  let lineStart = headerEnd + 1;
  let indent: number | undefined;
  for (let line = 0; ; line++) {
    const lineEnd = text.indexOf('\n', lineStart);
    const content = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
    if (indent === undefined && content.trim() !== '') indent = content.length - content.trimStart().length;
    if (line === lineIndex) return indent === undefined ? undefined : lineStart + indent + column;
    if (lineEnd === -1) return undefined;
    lineStart = lineEnd + 1;
  }
}
