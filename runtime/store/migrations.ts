/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Append new ones;
 * never edit a migration that has shipped.
 */
/** `PRAGMA application_id` of a gwi-connectors database: "gwic". */
export const APPLICATION_ID = 0x67776963;

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    connector TEXT NOT NULL,
    config TEXT NOT NULL,            -- JSON; secret fields replaced by {"$sealed": "v1:..."} (v2 since schema version 10)
    schedule TEXT,
    source TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY,
    connector TEXT NOT NULL,
    connection TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','done','failed','dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    error TEXT,
    received_at INTEGER NOT NULL,
    content_type TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (connector, connection, delivery_id)
  );
  CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at) WHERE status IN ('pending','failed');
  CREATE INDEX deliveries_by_connection ON deliveries (connection, seq);
  CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    connection TEXT NOT NULL,
    stream TEXT NOT NULL,
    pk TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (connection, stream, pk)
  );
  CREATE INDEX records_page ON records (connection, stream, seq);
  CREATE TABLE state (
    connection TEXT NOT NULL,
    stream TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (connection, stream)
  );
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    connection TEXT NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    records INTEGER NOT NULL DEFAULT 0,
    error TEXT
  );
  CREATE INDEX runs_by_connection ON runs (connection, started_at);
  CREATE TABLE tokens (
    key TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // With a bus, a delivery is acknowledged only once published: a stored but unpublished delivery
  // (publish failed, 503) is published when the provider retries it.
  `ALTER TABLE deliveries ADD COLUMN published_at INTEGER;`,
  // /health counts dead letters per connection; dead rows are few, so this partial index is tiny and
  // costs nothing on the ingest path (a new delivery is 'pending').
  `CREATE INDEX deliveries_dead ON deliveries (connection) WHERE status = 'dead';`,
  // Headers and body in their own table: marking a delivery done (or failed) then rewrites a row of
  // ~100 bytes instead of one that spills a 4 KB body onto an overflow page, so the dispatcher's
  // settle writes a quarter of the WAL it did (see docs/performance.md).
  `
  CREATE TABLE delivery_bodies (
    seq INTEGER PRIMARY KEY,         -- deliveries.seq
    headers TEXT NOT NULL,
    body BLOB NOT NULL
  );
  INSERT INTO delivery_bodies (seq, headers, body) SELECT seq, headers, body FROM deliveries;
  ALTER TABLE deliveries DROP COLUMN headers;
  ALTER TABLE deliveries DROP COLUMN body;
  `,
  // Dedupe without the UNIQUE (connector, connection, delivery_id) index: delivery ids are random, so
  // the index made every inbox commit write one 4 KB page of it per delivery. The inbox writer keeps
  // the keys in memory instead (inbox-core.ts). SQLite cannot drop a table constraint: the table is
  // rebuilt, with the same columns, rows and other indexes.
  `
  CREATE TABLE deliveries_v5 (
    seq INTEGER PRIMARY KEY,
    connector TEXT NOT NULL,
    connection TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','done','failed','dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    error TEXT,
    received_at INTEGER NOT NULL,
    content_type TEXT,
    published_at INTEGER
  );
  INSERT INTO deliveries_v5 (seq, connector, connection, delivery_id, event, status, attempts, next_attempt_at, error, received_at, content_type, published_at)
    SELECT seq, connector, connection, delivery_id, event, status, attempts, next_attempt_at, error, received_at, content_type, published_at FROM deliveries;
  DROP TABLE deliveries;
  ALTER TABLE deliveries_v5 RENAME TO deliveries;
  CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at) WHERE status IN ('pending','failed');
  CREATE INDEX deliveries_by_connection ON deliveries (connection, seq);
  CREATE INDEX deliveries_dead ON deliveries (connection) WHERE status = 'dead';
  `,
  // Each replay counts up `replays`. An outcome the dispatcher computed from a row read before a
  // replay carries the older count and is not written over it: otherwise a replay answered 202 while
  // that delivery was being mapped was undone by the stale outcome (status and attempts by seq alone).
  `
  ALTER TABLE deliveries ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;
  `,
  // Marks the file as ours: a start on another application's gwi.db is refused before anything
  // writes to it, instead of adding our tables beside its own (sqlite-store.ts checkOwnDatabase).
  `PRAGMA application_id = ${APPLICATION_ID};`,
  // A record's version (its stream's cursor value: an instant in ms, a number or a string; no
  // declared type, so SQLite keeps each as given and orders numbers before strings): an upsert of an
  // older copy than the stored one is not written (inbox-core.ts).
  `ALTER TABLE records ADD COLUMN version;`,
  // Retention finds old runs by when they finished (sqlite-store.ts pruneRuns) without reading them all.
  `CREATE INDEX runs_finished ON runs (finished_at) WHERE status != 'running';`,
  // No schema change: secrets are now sealed as v2 (bound to their connection and field,
  // crypto/secret-box.ts), which a release before this one cannot open. The version it does not
  // know makes such a release refuse this database (STORE_VERSION) instead of starting with every
  // connection posted through the API unavailable and its OAuth tokens unreadable.
  `SELECT 1;`,
];
