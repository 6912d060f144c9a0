/**
 * The embedded store's tables. Each table's key and index is the one its queries
 * walk: transcripts by (room, id) for paging and recovery, by ts for retention;
 * the moderation log by (room, id). `user_version` numbers the schema so a later
 * change can migrate a file written by this one.
 */
export const SCHEMA_VERSION = 3;

export const SCHEMA = `
-- last_message_id: ids reserved through (Store.reserveIds), at least the highest stored id.
CREATE TABLE IF NOT EXISTS rooms (
  name            TEXT PRIMARY KEY,
  server          TEXT    NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  closed_at       INTEGER,
  last_message_id INTEGER NOT NULL DEFAULT 0,
  slow_seconds    INTEGER NOT NULL DEFAULT 0,
  settings        TEXT
);

CREATE TABLE IF NOT EXISTS messages (
  room      TEXT    NOT NULL,
  id        INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  user_id   TEXT    NOT NULL,
  user_name TEXT    NOT NULL,
  user_role TEXT    NOT NULL,
  text      TEXT    NOT NULL,
  deleted   INTEGER NOT NULL DEFAULT 0,
  cleared   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_ts ON messages (ts);

-- room '' is a ban from every room (a primary key cannot hold NULL usefully).
CREATE TABLE IF NOT EXISTS bans (
  user_id TEXT    NOT NULL,
  room    TEXT    NOT NULL,
  reason  TEXT    NOT NULL,
  by      TEXT    NOT NULL,
  at      INTEGER NOT NULL,
  until   INTEGER,
  kind    TEXT    NOT NULL DEFAULT 'ban',
  address TEXT,
  PRIMARY KEY (user_id, room)
);

CREATE TABLE IF NOT EXISTS blocked_terms (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  terms      TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS review_terms (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  terms      TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS moderation (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  room       TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  by_id      TEXT    NOT NULL,
  by_name    TEXT    NOT NULL,
  by_role    TEXT    NOT NULL,
  target     TEXT,
  message_id INTEGER,
  seconds    INTEGER,
  reason     TEXT    NOT NULL,
  at         INTEGER NOT NULL,
  log_key    TEXT
);
CREATE INDEX IF NOT EXISTS moderation_by_room ON moderation (room, id);
`;

/**
 * Brings a file of any earlier version up to SCHEMA_VERSION after SCHEMA ran
 * (which creates missing tables but never changes existing ones). Version 2: a
 * moderation entry's cluster log key, unique per room (NULLs, unkeyed entries,
 * may repeat). Version 3: a ban row's kind (a timeout is kept beside the bans)
 * and a guest's client address; a room's chat modes as one JSON object.
 */
export function migrate(db: { exec(sql: string): unknown; pragma(sql: string): unknown }): void {
  const addColumn = (table: string, column: string, type: string) => {
    const columns = db.pragma(`table_info(${table})`) as Array<{ name: string }>;
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  };
  addColumn('moderation', 'log_key', 'TEXT');
  db.exec('CREATE UNIQUE INDEX IF NOT EXISTS moderation_by_key ON moderation (room, log_key)');
  addColumn('bans', 'kind', "TEXT NOT NULL DEFAULT 'ban'");
  addColumn('bans', 'address', 'TEXT');
  addColumn('rooms', 'settings', 'TEXT');
}
