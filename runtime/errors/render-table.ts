import { ERROR_CODES } from './codes.js';

const BEGIN = '<!-- error-codes:begin (generated from runtime/errors/codes.ts by `npm run gen`) -->';
const END = '<!-- error-codes:end -->';

/** The markdown table of error codes that docs/troubleshooting.md embeds. */
export function renderErrorTable(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, { meaning, fix }]) => `| \`${code}\` | ${meaning} | ${fix} |`);
  return [BEGIN, '| code | meaning | how to fix |', '| --- | --- | --- |', ...rows, END].join('\n');
}

/** Replace the generated table inside a document (or append it). */
export function embedErrorTable(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start === -1 || end === -1) return `${doc.trimEnd()}\n\n${renderErrorTable()}\n`;
  return doc.slice(0, start) + renderErrorTable() + doc.slice(end + END.length);
}
