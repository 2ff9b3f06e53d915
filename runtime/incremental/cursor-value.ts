/**
 * Cursor values as they come from records and state: ISO datetimes, numbers or strings. Two ISO
 * datetimes compare as instants (so "2024-01-01T00:00:00Z" equals "2024-01-01T00:00:00.000Z"), two
 * numbers (or numeric strings) as numbers, anything else as strings.
 */
export type CursorValue = string | number;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** The instant of an ISO datetime string, or undefined when `value` is not one. */
export function asInstant(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return undefined;
  // A date-time without an offset is taken as UTC, as most APIs mean it.
  const text = value.length > 10 && !/(?:Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d+(?:\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareCursors(a: unknown, b: unknown): number {
  const ia = asInstant(a);
  const ib = asInstant(b);
  if (ia !== undefined && ib !== undefined) return ia - ib;
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * A cursor value in the form SQLite orders as compareCursors does, for a stored record's version: an
 * ISO datetime as its instant (ms), a number or numeric string as a number, another string as
 * itself; null when there is none.
 */
export function cursorVersion(value: unknown): number | string | null {
  if (!isCursorValue(value)) return null;
  return asInstant(value) ?? asNumber(value) ?? String(value);
}

/** A usable cursor value (not missing, not empty). */
export function isCursorValue(value: unknown): value is CursorValue {
  return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value));
}

export function maxCursor(a: CursorValue | undefined, b: CursorValue | undefined): CursorValue | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareCursors(a, b) >= 0 ? a : b;
}

export function minCursor(a: CursorValue | undefined, b: CursorValue | undefined): CursorValue | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareCursors(a, b) <= 0 ? a : b;
}

/** A reader for a (possibly dotted) cursor field: a literal key with dots wins over the nested path. */
export function cursorReader(field: string): (record: Record<string, unknown>) => unknown {
  const parts = field.split('.');
  if (parts.length === 1) return (record) => record[field];
  return (record) => {
    if (Object.hasOwn(record, field)) return record[field];
    let current: unknown = record;
    for (const part of parts) {
      if (current === null || typeof current !== 'object') return undefined;
      current = (current as Record<string, unknown>)[part];
    }
    return current;
  };
}
