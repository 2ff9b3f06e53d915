import type { StreamNode } from '../../runtime/manifest/schema.js';
import { createRng, hashString } from '../server/rng.js';
import { getPath, setPath } from './ast.js';
import { fakeValue, fieldSchema } from './fake-value.js';

export const CURSOR_BASE = Date.UTC(2024, 0, 1);

/** Key paths of a stream's primary key, e.g. [["id"]] or [["repo"],["number"]]. */
export function keyPaths(stream: StreamNode): string[][] {
  const keys = Array.isArray(stream.primary_key) ? stream.primary_key : [stream.primary_key];
  return keys.map((k) => k.split('.'));
}

/**
 * `count` stream records for one partition: values from the stream schema, primary keys unique
 * across partitions, cursor values strictly increasing (one hour apart) in the cursor's format.
 */
export function generateRecords(streamName: string, stream: StreamNode, partitionKey: string, count: number, seed: number | string): Record<string, unknown>[] {
  const rng = createRng(`${seed}:${streamName}:${partitionKey}`);
  const partitionNo = hashString(partitionKey) % 100000;
  const cursorPath = stream.cursor_field?.split('.');
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const record = (fakeValue(stream.schema, rng, streamName) ?? {}) as Record<string, unknown>;
    for (const path of keyPaths(stream)) {
      const schema = fieldSchema(stream.schema, path);
      const numeric = schemaType(schema) === 'integer' || schemaType(schema) === 'number';
      setPath(record, path, numeric ? partitionNo * 10000 + i + 1 : `${streamName}-${partitionNo}-${i + 1}`);
    }
    if (cursorPath) setPath(record, cursorPath, cursorValue(fieldSchema(stream.schema, cursorPath), i, partitionNo));
    out.push(record);
  }
  return out;
}

function schemaType(schema: Record<string, unknown> | undefined): string | undefined {
  const type = schema?.type;
  if (Array.isArray(type)) return (type as string[]).find((t) => t !== 'null');
  return typeof type === 'string' ? type : undefined;
}

function cursorValue(schema: Record<string, unknown> | undefined, index: number, partitionNo: number): unknown {
  const type = schemaType(schema);
  if (type === 'integer' || type === 'number') return 1_700_000_000 + index * 3600 + (partitionNo % 60);
  const instant = new Date(CURSOR_BASE + index * 3600_000 + (partitionNo % 60) * 1000);
  return schema?.format === 'date' ? instant.toISOString().slice(0, 10) : instant.toISOString();
}

/** Compare two cursor values (ISO dates, numbers or strings). */
export function compareCursor(a: unknown, b: unknown): number {
  const x = cursorNumber(a);
  const y = cursorNumber(b);
  if (x !== undefined && y !== undefined) return x - y;
  return String(a).localeCompare(String(b));
}

export function cursorNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

export function cursorOf(record: unknown, cursorField: string | undefined): unknown {
  return cursorField ? getPath(record, cursorField.split('.')) : undefined;
}
