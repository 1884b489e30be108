/**
 * SQLite schema, one migration per version. Applied in order at open; the version lives in
 * `PRAGMA user_version`. A database newer than the binary is refused.
 */
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE ledger_entries (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    subject TEXT NOT NULL,
    entry BLOB NOT NULL,
    leaf_hash BLOB NOT NULL
  );
  CREATE INDEX ledger_entries_subject ON ledger_entries (subject);
  CREATE INDEX ledger_entries_type ON ledger_entries (type, seq);

  -- Perfect subtrees of level >= 1; level 0 is ledger_entries.leaf_hash.
  CREATE TABLE ledger_nodes (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
  ) WITHOUT ROWID;

  CREATE TABLE ledger_personal (
    seq INTEGER NOT NULL,
    field TEXT NOT NULL,
    salt BLOB NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (seq, field)
  ) WITHOUT ROWID;

  CREATE TABLE ledger_checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
];
