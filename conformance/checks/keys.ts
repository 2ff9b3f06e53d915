import type { StreamNode } from '../../runtime/manifest/schema.js';
import { getPath } from '../simulated/ast.js';
import { stableJson } from '../cassettes/match.js';

export function keyFields(stream: StreamNode): string[] {
  return Array.isArray(stream.primary_key) ? [...stream.primary_key] : [stream.primary_key];
}

/** The record's key as text, or undefined when a key field is null or missing. */
export function keyText(stream: StreamNode, record: Record<string, unknown>): string | undefined {
  const values = keyFields(stream).map((k) => getPath(record, k.split('.')));
  if (values.some((v) => v === undefined || v === null)) return undefined;
  return JSON.stringify(values);
}

/** Records as a sorted list of stable JSON texts: equal lists mean equal record sets. */
export function recordSet(records: readonly Record<string, unknown>[]): string[] {
  return records.map(stableJson).sort();
}

export function diffSets(a: readonly string[], b: readonly string[]): string | undefined {
  if (a.length !== b.length) return `${a.length} records vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `first difference: ${a[i]!.slice(0, 160)} vs ${b[i]!.slice(0, 160)}`;
  return undefined;
}
