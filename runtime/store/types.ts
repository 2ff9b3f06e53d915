import type { MessagePort } from 'node:worker_threads';
import type { TokenStore } from '../auth/types.js';
import type { SecretPath } from '../config/index.js';
import type { StreamState } from '../protocol/messages.js';

export type DeliveryStatus = 'pending' | 'done' | 'failed' | 'dead';

export interface NewDelivery {
  connector: string;
  connection: string;
  /** The dedupe key rendered from `webhooks.delivery_id`. */
  deliveryId: string;
  event: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  contentType: string | undefined;
  receivedAt: number;
  /**
   * The body must be JSON: the store parses it before storing and, if it is not, stores nothing and
   * answers `invalidJson`. Ingest asks for this when nothing else needs the body parsed first, so the
   * parse runs on the store's writer thread instead of the event loop that serves requests.
   */
  json?: boolean;
}

export interface InsertResult {
  /** The dedupe key (what the API calls the delivery's `id`). */
  id: string;
  /** Row number: stable, increasing; the cursor of listings. */
  seq: number;
  duplicate: boolean;
  /** The bus confirmed this delivery (always false without a bus). */
  published: boolean;
  /** Set when `json` was asked for and the body is not JSON (JSON.parse's message); nothing was stored. */
  invalidJson?: string;
}

/** A delivery as listed by the admin API (no body). */
export interface DeliverySummary {
  seq: number;
  id: string;
  connector: string;
  connection: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  received_at: string;
  next_attempt_at: string | null;
  error: string | null;
}

/** A delivery with what the dispatcher needs to process it. */
export interface StoredDelivery extends DeliverySummary {
  headers: Record<string, string>;
  body: Buffer;
  contentType: string | null;
  /** When the bus confirmed it (epoch ms), null if it never did: what a `--no-dispatch` receiver republishes. */
  publishedAt: number | null;
  /** How many times it was replayed: its outcome carries this (DeliveryOutcome.replays). */
  replays: number;
}

export interface DeliveryFilter {
  connection?: string;
  status?: DeliveryStatus;
  limit: number;
  /** Only rows with `seq` greater than this. */
  after?: number;
}

export interface ConnectionRow {
  id: string;
  connector: string;
  /** Config with secrets in clear text (opened on read; sealed at rest). */
  config: Record<string, unknown>;
  schedule: string | null;
  source: 'file' | 'api';
  /**
   * Read from the store: where its config held sealed values. Kept secret even where the spec no
   * longer marks a secret (or never did: a value moved there in the database), so that such a value
   * is never shown by the API nor logged.
   */
  sealedPaths?: readonly SecretPath[];
}

/** A stored connection whose sealed secrets cannot be opened (another key, or modified): what can be read of it. */
export interface UnreadableConnection {
  id: string;
  connector: string;
  schedule: string | null;
  source: 'file' | 'api';
  /** SECRET_DECRYPT, from the secret box. */
  error: Error;
}

export interface RecordRow {
  seq: number;
  key: string;
  data: Record<string, unknown>;
  updated_at: string;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunRow {
  id: string;
  connection: string;
  trigger: 'api' | 'schedule';
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  records: number;
  error: string | null;
}

/**
 * What became of a delivery. `replays` is the row's replay count when it was read: the outcome is
 * written only if no replay happened since (the replay wins, and the delivery is handled again).
 * null writes it whatever happened (Pub/Sub workers, whose retries and replays are Pub/Sub's).
 */
export type DeliveryOutcome =
  | { seq: number; replays: number | null; connection: string; done: true; batches: readonly RecordBatch[] }
  | { seq: number; replays: number | null; done: false; error: string; nextAttemptAt: number | null }
  /** Not attempted (its connection does not run now): looked at again at `nextAttemptAt`, status and attempts unchanged. */
  | { seq: number; replays: number | null; done: false; wait: true; nextAttemptAt: number };

export interface RecordBatch {
  stream: string;
  /** `version` (RecordPipeline.stored): a stored record is not replaced by one of a lower version. */
  records: ReadonlyArray<{ key: string; data: Record<string, unknown>; version?: number | string | null }>;
}

/** Deliveries waiting (pending, failed) and dead-lettered, by status. */
export type QueueCounts = Record<Exclude<DeliveryStatus, 'done'>, number>;

/**
 * The durable store the flows receive: webhook inbox, connections, records, sync state, runs and
 * tokens. `insertDelivery` resolves only once the row is durable on disk (group commit).
 */
export interface Store {
  /**
   * Set when opening this store upgraded an existing database's schema (not when it created one):
   * the versions before and after. Upgrades are one-way, so the caller says so in its log.
   */
  readonly schemaUpgrade: { from: number; to: number } | undefined;
  /**
   * Seals the stored OAuth tokens that an earlier release sealed `v1:` (bound to nothing) again as
   * `v2:`, bound to their key, as connections are at every start; returns how many. A token that does
   * not open (sealed with another key) is left as it is: loading it fails as before.
   */
  resealLegacyTokens(): number;
  insertDelivery(delivery: NewDelivery): Promise<InsertResult>;
  /** Record that the bus confirmed a delivery. */
  markPublished(seq: number, at: number): Promise<void>;
  /** Pending or failed deliveries whose next attempt is due, oldest first. */
  dueDeliveries(now: number, limit: number, exclude?: ReadonlySet<number>): StoredDelivery[];
  /** Store the mapped records and mark the delivery done in one transaction. */
  completeDelivery(seq: number, connection: string, batches: readonly RecordBatch[]): void;
  /**
   * Settle many deliveries in one transaction (one fsync): the dispatcher's batch. Done ones have their
   * records upserted; failed ones get `nextAttemptAt` (null: dead).
   */
  settleDeliveries(outcomes: readonly DeliveryOutcome[]): Promise<void>;
  failDelivery(seq: number, error: string, nextAttemptAt: number | null): void;
  /** Back to pending with attempts reset; returns how many rows changed. */
  replayDelivery(seq: number, now: number): boolean;
  /** Every delivery of `connection` with this status back to pending, attempts reset (as replayDelivery); returns how many. */
  replayDeliveries(connection: string, status: 'dead' | 'failed', now: number): Promise<number>;
  /** The delivery stored as row `seq` (e.g. InsertResult.seq of a duplicate): a primary-key read. */
  getDelivery(seq: number): DeliverySummary | undefined;
  /**
   * The deliveries with this dedupe key in these connections, found through the inbox writer's
   * dedupe keys: there is no index on delivery ids (their random values would cost every inbox commit
   * a page of it, docs/performance.md), and a scan reads every delivery kept.
   */
  findDeliveries(id: string, where: ReadonlyArray<{ connector: string; connection: string }>): Promise<DeliverySummary[]>;
  listDeliveries(filter: DeliveryFilter): DeliverySummary[];
  /**
   * Deliveries waiting (pending, failed) and dead-lettered, read from their partial indexes: the cost
   * grows with the queue, not with the done deliveries the retention keeps. What /health and /metrics
   * report on every request.
   */
  queueCounts(): QueueCounts;
  /** Counts by status, done included: a scan of every delivery kept, so not for request paths (queueCounts is). */
  deliveryCounts(): Record<DeliveryStatus, number>;
  /** Dead-lettered deliveries per connection id (only connections that have some). */
  deadByConnection(): Record<string, number>;
  /**
   * Delete at most `limit` `done` deliveries received before `before` (oldest first); returns how many.
   * Pending, failed and dead ones are kept whatever their age, unless `anyStatus` (a Pub/Sub worker's
   * copies: Pub/Sub owns their retries and dead letters). `now` is the clock's time: rows stamped
   * after it (a clock that ran ahead) wait for their stamp to age, and hold nothing else back.
   */
  pruneDeliveries(before: number, limit: number, now: number, anyStatus?: boolean): Promise<number>;
  /**
   * Resolves once the inbox can take deliveries: its writer holds the data directory's inbox lock.
   * Rejects with STORE_IN_USE when another process holds the lock. The writer thread loads the
   * dedupe keys right after, and deliveries submitted meanwhile wait for them (never checked without);
   * the inline inbox loads them before this resolves.
   */
  opened(): Promise<void>;

  /** The values at `secretPaths` (from `secretPaths(spec, config)`) are sealed at rest. */
  saveConnection(row: ConnectionRow, secretPaths: readonly SecretPath[]): void;
  /** Throws SECRET_DECRYPT when its sealed secrets cannot be opened with this store's key. */
  getConnection(id: string): ConnectionRow | undefined;
  /** Deletes the connection's row only: its deliveries, records, state and runs are kept. Whether there was one. */
  deleteConnection(id: string): boolean;
  /** `deleteConnection` for each of `deletes`, then `saveConnection` for each of `saves`, in one transaction: all or nothing. */
  replaceConnections(saves: ReadonlyArray<{ row: ConnectionRow; secretPaths: readonly SecretPath[] }>, deletes: readonly string[]): void;
  /** Whether a connection with this id is stored (its secrets are not opened: any thread may ask). */
  hasConnection(id: string): boolean;
  /** Every stored connection; those whose secrets cannot be opened are listed apart, as stored (nothing is dropped). */
  listConnections(): { readable: ConnectionRow[]; unreadable: UnreadableConnection[] };

  /** Upserts by primary key; resolves with the rows written (an older copy than the stored one is not: RecordBatch). */
  upsertRecords(connection: string, batches: readonly RecordBatch[]): Promise<number>;
  /**
   * Records in the order they last changed (seq): one whose data changes moves after every other,
   * so the records after a seq are those added or changed since it was the last one read.
   */
  listRecords(connection: string, stream: string, limit: number, after?: number): RecordRow[];

  loadState(connection: string): StreamState[];
  /** With `run`: also its records so far (recordRunProgress), in the same transaction (one fsync, not two). */
  saveState(connection: string, state: StreamState, run?: { id: string; records: number }): void;

  createRun(connection: string, trigger: RunRow['trigger'], now: number): RunRow;
  finishRun(id: string, status: Exclude<RunStatus, 'running'>, records: number, error: string | null, now: number): void;
  /** The records a running run has written so far (kept if the run is cut off by a crash). */
  recordRunProgress(id: string, records: number): void;
  /**
   * Deletes up to `limit` finished runs that ended before `before`, never a connection's latest run
   * (/health's last_sync); returns how many.
   */
  pruneRuns(before: number, limit: number): number;
  getRun(id: string): RunRow | undefined;
  lastRun(connection: string): RunRow | undefined;
  /** Runs left `running` by a crash are marked failed at start-up. */
  failInterruptedRuns(now: number): number;

  tokenStore(connection: string): TokenStore;
  /**
   * A port to the store's writer thread for another thread's settle writes (see InboxWriter.connect),
   * or undefined when writes run inline. Optional: other Store implementations need not offer it.
   */
  inboxPort?(): MessagePort | undefined;
  /** A cheap write probe for /health. */
  ping(): boolean;
  close(): Promise<void>;
}
