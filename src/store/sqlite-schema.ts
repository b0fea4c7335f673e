// The SQLite schema, versioned with PRAGMA user_version. A database written by a newer hookgate is
// refused rather than misread.

// Version 2 added deliveries, version 3 sessions; every statement is IF NOT EXISTS, so running the
// whole text upgrades an older database in place. Version 4 made events a rowid table (see
// MIGRATE_EVENTS_V4). Version 5 stores a run's `result` event with empty data, meaning "the run's
// row" (which the same transaction made final), so a long answer is kept once; older rows, with the
// data in the event, read as before, and an older hookgate refuses the database rather than misread it.
export const SCHEMA_VERSION = 5

export const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS runs (
  -- Acceptance order: run ids sort by wall-clock ms only, so several runs in one ms need this.
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  caller TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  run TEXT NOT NULL,
  request TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  process TEXT
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
CREATE INDEX IF NOT EXISTS runs_caller ON runs (caller, seq);
CREATE INDEX IF NOT EXISTS runs_finished ON runs (finished_at);

-- A rowid table with a separate key index, not WITHOUT ROWID: an event can be megabytes (a result
-- with a long output), and in a WITHOUT ROWID table every key comparison on the way to a neighbouring
-- row reads that whole row, so each insert of another run's events would read it again.
CREATE TABLE IF NOT EXISTS events (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  data TEXT NOT NULL,
  UNIQUE (run_id, seq)
);

CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_expiry ON idempotency (expires_at);

CREATE TABLE IF NOT EXISTS confirmations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL,
  code TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS confirmations_owner ON confirmations (owner, id);

CREATE TABLE IF NOT EXISTS deliveries (
  run_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  progress TEXT NOT NULL,
  error TEXT,
  PRIMARY KEY (run_id, channel)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state);

CREATE TABLE IF NOT EXISTS sessions (
  key TEXT PRIMARY KEY,
  caller TEXT NOT NULL,
  profile TEXT NOT NULL,
  agent_session TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
`

/** Versions 1–3 kept events in a WITHOUT ROWID table; moved, in the same transaction as the rest. */
export const MIGRATE_EVENTS_V4 = `
CREATE TABLE events_v4 (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  data TEXT NOT NULL,
  UNIQUE (run_id, seq)
);
INSERT INTO events_v4 (run_id, seq, event, data) SELECT run_id, seq, event, data FROM events ORDER BY run_id, seq;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
`
