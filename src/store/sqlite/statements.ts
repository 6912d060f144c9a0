/**
 * Every statement the embedded store runs, prepared once per open handle of the
 * file (a file put back is opened again, and its statements with it). They sit
 * apart from the store so its methods read as what they do, and so the SQL of one
 * table can be read beside the SQL of the others against schema.ts.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { Page } from '../store.js';

export type Statements = ReturnType<typeof prepare>;

/** Cursor of a page: anything that is not a whole number matches nothing older. */
export const cursor = (before: Page['before']): number => {
  if (before === undefined) return Number.MAX_SAFE_INTEGER;
  const n = Number(before);
  return Number.isSafeInteger(n) ? n : 0;
};

export function prepare(db: Db) {
  const s = (sql: string): Statement => db.prepare(sql);
  return {
    roomOpened: s(`INSERT INTO rooms (name, server, created_at) VALUES (@room, @server, @at)
      ON CONFLICT (name) DO UPDATE SET server = excluded.server, created_at = excluded.created_at, closed_at = NULL`),
    roomClosed: s(`UPDATE rooms SET closed_at = @at WHERE name = @room`),
    room: s(`SELECT * FROM rooms WHERE name = ?`),
    saveSettings: s(`INSERT INTO rooms (name, created_at, slow_seconds, settings) VALUES (@room, @at, @slow, @settings)
      ON CONFLICT (name) DO UPDATE SET slow_seconds = excluded.slow_seconds, settings = excluded.settings`),
    // OR IGNORE: a retried batch finds its rows already there and adds nothing.
    insertMessage: s(`INSERT OR IGNORE INTO messages (room, id, ts, user_id, user_name, user_role, text, extras)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    raiseLastId: s(`INSERT INTO rooms (name, created_at, last_message_id) VALUES (@room, @at, @id)
      ON CONFLICT (name) DO UPDATE SET last_message_id = max(last_message_id, excluded.last_message_id)`),
    markDeleted: s(`UPDATE messages SET deleted = 1 WHERE room = ? AND id = ?`),
    markCleared: s(`UPDATE messages SET cleared = 1 WHERE room = ? AND id <= ? AND cleared = 0`),
    raiseBlock: s(`INSERT INTO rooms (name, created_at, last_message_id) VALUES (@room, @at, @count)
      ON CONFLICT (name) DO UPDATE SET last_message_id = last_message_id + @count RETURNING last_message_id`),
    // An entry whose (room, log_key) is stored already (another copy of the room wrote it) adds nothing; unlike
    // OR IGNORE this skips only that conflict, so a broken entry (a NOT NULL left null) still fails its batch.
    insertModeration: s(`INSERT INTO moderation
      (room, action, by_id, by_name, by_role, target, message_id, seconds, reason, at, log_key)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (room, log_key) DO NOTHING`),
    messages: s(`SELECT * FROM messages WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?`),
    bans: s(`SELECT * FROM bans WHERE until IS NULL OR until > ? ORDER BY at, user_id`),
    addBan: s(`INSERT OR REPLACE INTO bans (user_id, room, reason, by, at, until, kind, address)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    removeBan: s(`DELETE FROM bans WHERE user_id = ? AND room = ?`),
    terms: s(`SELECT terms FROM blocked_terms WHERE id = 1`),
    setTerms: s(`INSERT OR REPLACE INTO blocked_terms (id, terms, updated_at) VALUES (1, ?, ?)`),
    reviewTerms: s(`SELECT terms FROM review_terms WHERE id = 1`),
    setReviewTerms: s(`INSERT OR REPLACE INTO review_terms (id, terms, updated_at) VALUES (1, ?, ?)`),
    moderation: s(`SELECT * FROM moderation WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?`),
    expireMessages: s(`DELETE FROM messages WHERE ts < ?`),
    savePin: s(`INSERT OR REPLACE INTO pins (room, message, until) VALUES (@room, @message, @until)`),
    deletePin: s(`DELETE FROM pins WHERE room = ?`),
    pin: s(`SELECT message, until FROM pins WHERE room = ?`),
    // Same key: the later answer replaces the earlier, and the row keeps its place.
    saveTip: s(`INSERT INTO tips (key, room, user_id, user_name, amount, message_id, status, outcome, reason, at)
      VALUES (@key, @room, @userId, @userName, @amount, @messageId, @status, @outcome, @reason, @at)
      ON CONFLICT (key) DO UPDATE SET message_id = excluded.message_id, status = excluded.status,
        outcome = excluded.outcome, reason = excluded.reason, at = excluded.at`),
    tip: s(`SELECT * FROM tips WHERE key = ?`),
    tips: s(`SELECT * FROM tips WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?`),
    expireBans: s(`DELETE FROM bans WHERE until IS NOT NULL AND until <= ?`),
  };
}
