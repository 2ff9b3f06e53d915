/** Small formatting helpers for bench output. */

export const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export const formatMb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A plain-text table with aligned columns; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  const line = (row: readonly string[]) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join('  ');
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The same table as Markdown, for docs/performance.md. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  const line = (row: readonly string[]) => `| ${row.join(' | ')} |`;
  return [line(head ?? []), line((head ?? []).map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
}
