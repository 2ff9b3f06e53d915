import { ConnectorError } from '../errors/index.js';
import type { DataRecord } from './types.js';

/**
 * `keyOf` for a stream's `primary_key`: one field or several, each a name or a dotted path. One key
 * gives its value as a string; a composite key gives the JSON array of its values (stable, unambiguous).
 */
export function createKeyOf(stream: string, primaryKey: string | readonly string[]): (record: DataRecord) => string {
  const paths = (typeof primaryKey === 'string' ? [primaryKey] : [...primaryKey]).map((field) => ({ field, parts: field.split('.') }));
  const valueAt = (record: DataRecord, field: string, parts: string[]): unknown => {
    let current: unknown = record;
    // A literal key containing dots ("a.b") wins over the nested path.
    if (Object.hasOwn(record, field)) current = record[field];
    else {
      for (const part of parts) {
        if (current === null || typeof current !== 'object') {
          current = undefined;
          break;
        }
        current = (current as Record<string, unknown>)[part];
      }
    }
    if (current === undefined || current === null || current === '') {
      throw new ConnectorError('RECORD_PRIMARY_KEY', `stream ${stream}: a record has no value for its primary key field "${field}"`, {
        hint: 'Make `map` keep the primary key field, or fix `primary_key`.',
        context: { stream, field },
      });
    }
    return current;
  };
  if (paths.length === 1) {
    const { field, parts } = paths[0]!;
    return (record) => {
      const value = valueAt(record, field, parts);
      return typeof value === 'string' ? value : JSON.stringify(value);
    };
  }
  return (record) => JSON.stringify(paths.map(({ field, parts }) => valueAt(record, field, parts)));
}
