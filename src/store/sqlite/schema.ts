/**
 * The embedded store's tables. Each table's key and index is the one its queries
 * walk: transcripts by (room, id) for paging and recovery, by ts for retention;
 * the moderation log by (room, id). `user_version` numbers the schema so a later
 * change can migrate a file written by this one.
 */
export const SCHEMA_VERSION = 4;

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

-- One pin per room; message: the pinned message as JSON.
CREATE TABLE IF NOT EXISTS pins (
  room    TEXT PRIMARY KEY,
  message TEXT    NOT NULL,
  until   INTEGER
);

-- Paid messages the credit service answered; key: the debit's idempotency key.
CREATE TABLE IF NOT EXISTS tips (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  key        TEXT    NOT NULL UNIQUE,
  room       TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  user_name  TEXT    NOT NULL,
  amount     INTEGER NOT NULL,
  message_id INTEGER,
  status     INTEGER NOT NULL,
  outcome    TEXT    NOT NULL,
  reason     TEXT    NOT NULL,
  at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tips_by_room ON tips (room, id);
`;

/**
 * Brings a file of any earlier version up to SCHEMA_VERSION after SCHEMA ran
 * (which creates missing tables but never changes existing ones). Version 2: a
 * moderation entry's cluster log key, unique per room (NULLs, unkeyed entries,
 * may repeat). Version 3: a ban row's kind (a timeout is kept beside the bans)
 * and a guest's client address; a room's chat modes as one JSON object. Version
 * 4: messages' extras column (pins and tips tables are new tables, created by SCHEMA).
 */
export function migrate(db: { exec(sql: string): unknown; pragma(sql: string): unknown }): void {
  const addColumn = (table: string, column: string, type: string) => {
    const columns = db.pragma(`table_info(${table})`) as Array<{ name: string }>;
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  };
  addColumn('moderation', 'log_key', 'TEXT');
  db.exec('CREATE UNIQUE INDEX IF NOT EXISTS moderation_by_key ON moderation (room, log_key)');
  // Version 4: a message's extras (reply, mentions, action, announcement, tip) as JSON; pins and tips are tables above.
  addColumn('messages', 'extras', 'TEXT');
  // Version 3: timeouts beside the bans, a guest ban's address, the room's chat modes.
  addColumn('bans', 'kind', "TEXT NOT NULL DEFAULT 'ban'");
  addColumn('bans', 'address', 'TEXT');
  addColumn('rooms', 'settings', 'TEXT');
}
