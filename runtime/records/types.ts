import type { Scope } from '../expressions/index.js';

export type DataRecord = Record<string, unknown>;

/**
 * A stream's record pipeline (keys `records`, `filter`, `map`, `primary_key`), built once per stream.
 * Polling and webhooks both go through it, so a record looks the same whichever way it arrived.
 */
export interface RecordPipeline {
  /** Select records in a response body (`records`), then filter and map them. */
  extract(body: unknown, scope: Scope): Promise<DataRecord[]>;
  /** Like `extract`, also counting the records selected before `filter` (pagination's short-page rule needs it). */
  extractPage(body: unknown, scope: Scope): Promise<ExtractedPage>;
  /** Filter and map records that were already selected (webhook payloads). */
  process(raw: readonly unknown[], scope: Scope): Promise<DataRecord[]>;
  /** The primary key value(s) of a mapped record, as a stable string; throws RECORD_PRIMARY_KEY when missing. */
  keyOf(record: DataRecord): string;
  /**
   * A mapped record as the record store keeps it: its key, and its version (the stream's
   * `cursor_field` value, see cursorVersion; null without one), which stops an older copy from
   * replacing a newer one (a sync's page read before a webhook's update, written after it).
   */
  stored(record: DataRecord): StoredRecord;
}

export interface StoredRecord {
  key: string;
  data: DataRecord;
  version: number | string | null;
}

export interface ExtractedPage {
  records: DataRecord[];
  /** Records the `records` selector found, before `filter`. */
  selected: number;
}
