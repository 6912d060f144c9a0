/**
 * The embedded store: SQLite through better-sqlite3 in DATA_DIR/chatserver.db, in
 * WAL mode (readers do not wait for the writer, and a commit is one append).
 * Every statement is prepared once; a transcript batch is one transaction, so a
 * crash leaves either the whole batch or none of it (a ban with its log entry). better-sqlite3 is
 * synchronous: the calls are short (a 500-row batch is a few milliseconds) and
 * the master is their only caller. Retention runs hourly on an unref()ed timer.
 *
 * Building one opens nothing: `open()` prepares DATA_DIR (naming what is wrong
 * with it), opens the file and starts the timers. The file is watched
 * (database-file.ts): while it is deleted, moved or replaced every call fails with
 * the reason and the watch listeners are told; once a database file is back it is
 * reopened, and the id marks this process reserved are written into it again, so
 * an older copy put back never lets a room's ids repeat.
 */
import { join } from 'node:path';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { ChatMessage, Role } from '../../protocol/frames.js';
import { decodeExtras, encodeExtras } from '../../protocol/message-extras.js';
import {
  type Actor,
  type Ban,
  checkBlockCount,
  DAY_MS,
  type ModerationAction,
  type ModerationEntry,
  type NewModerationEntry,
  type Page,
  type StoredPin,
  type StoredRoom,
  type RoomSettings,
  type Store,
  type TipEntry,
  type TipOutcome,
  type TipRecord,
  type TranscriptMessage,
  type WriteBatch,
} from '../store.js';
import { StoreOpenError } from '../open-error.js';
import { DatabaseFile } from './database-file.js';
import { prepareDataDir } from './data-dir.js';
import { migrate, SCHEMA, SCHEMA_VERSION } from './schema.js';

export const DB_FILE = 'chatserver.db';
const RETENTION_SWEEP_MS = 3_600_000;

export interface SqliteStoreOptions {
  dataDir: string;
  retentionDays: number;
}

interface MessageRow {
  room: string;
  id: number;
  ts: number;
  user_id: string;
  user_name: string;
  user_role: string;
  text: string;
  deleted: number;
  cleared: number;
  extras: string | null;
}
interface TipRow {
  id: number;
  key: string;
  room: string;
  user_id: string;
  user_name: string;
  amount: number;
  message_id: number | null;
  status: number;
  outcome: string;
  reason: string;
  at: number;
}
interface RoomRow {
  name: string;
  server: string;
  created_at: number;
  closed_at: number | null;
  last_message_id: number;
  slow_seconds: number;
  settings: string | null;
}
interface BanRow {
  user_id: string;
  room: string;
  reason: string;
  by: string;
  at: number;
  until: number | null;
  kind: string;
  address: string | null;
}
interface ModerationRow {
  id: number;
  room: string;
  action: string;
  by_id: string;
  by_name: string;
  by_role: string;
  target: string | null;
  message_id: number | null;
  seconds: number | null;
  reason: string;
  at: number;
}

/** Cursor of a page: anything that is not a whole number matches nothing older. */
const cursor = (before: Page['before']): number => {
  if (before === undefined) return Number.MAX_SAFE_INTEGER;
  const n = Number(before);
  return Number.isSafeInteger(n) ? n : 0;
};

/** What one open handle of the file has prepared. */
interface Handle {
  sql: ReturnType<typeof prepare>;
  writeTx: (batch: WriteBatch) => void;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  private readonly database: DatabaseFile<Handle>;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Moderation entries already committed, so writing their batch again adds nothing (as messages' keys do). */
  private readonly written = new WeakSet<NewModerationEntry>();
  /** Per room: the highest id mark written (reserved or stored), written again into a file put back. */
  private readonly marks = new Map<string, number>();
  private readonly watchers: Array<(problem: Error | null) => void> = [];

  /** Records the options; opens nothing. */
  constructor(private readonly options: SqliteStoreOptions & { checkEveryMs?: number }) {
    this.file = join(options.dataDir, DB_FILE);
    this.database = new DatabaseFile({
      file: this.file,
      setUp: (db) => this.setUp(db),
      onChange: (problem) => {
        for (const watcher of this.watchers) watcher(problem);
      },
      ...(options.checkEveryMs === undefined ? {} : { checkEveryMs: options.checkEveryMs }),
    });
  }

  /** The file's state: open, lost (deleted, moved or replaced while open) or closed. */
  get fileState() {
    return this.database.state;
  }

  watch(listener: (problem: Error | null) => void): void {
    this.watchers.push(listener);
  }

  /** Prepares DATA_DIR, opens the file, starts the watch and the retention sweep. Throws StoreOpenError naming DATA_DIR. */
  async open(): Promise<void> {
    if (this.closed || this.database.state !== 'closed') return;
    prepareDataDir(this.options.dataDir, this.file);
    try {
      this.database.open();
    } catch (error) {
      throw new StoreOpenError(
        `DATA_DIR=${this.options.dataDir}: cannot open the embedded store ${this.file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.sweepTimer = setInterval(() => {
      // A store that is down now is reported by its watch; the next sweep tries again.
      this.removeExpired(Date.now()).catch(() => undefined);
    }, RETENTION_SWEEP_MS);
    this.sweepTimer.unref();
    await this.removeExpired(Date.now());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.database.close();
  }

  private setUp(db: Db): Handle {
    db.pragma('journal_mode = WAL');
    // With WAL, NORMAL loses at most the last commits on power loss, never consistency.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // One transaction: another store opening the same file at once waits, then finds it migrated.
    db.transaction(() => {
      db.exec(SCHEMA);
      migrate(db);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
    const sql = prepare(db);
    const now = Date.now();
    for (const [room, id] of this.marks) sql.raiseLastId.run({ room, id, at: now });
    return { sql, writeTx: db.transaction((batch: WriteBatch) => this.applyBatch(sql, batch)) };
  }

  private get sql(): Handle['sql'] {
    return this.database.use().sql;
  }

  private mark(room: string, id: number): void {
    if (id > (this.marks.get(room) ?? 0)) this.marks.set(room, id);
  }

  async roomOpened(room: string, server: string, at: number): Promise<void> {
    this.sql.roomOpened.run({ room, server, at });
  }

  async roomClosed(room: string, at: number): Promise<void> {
    this.sql.roomClosed.run({ room, at });
  }

  async room(room: string): Promise<StoredRoom | null> {
    const row = this.sql.room.get(room) as RoomRow | undefined;
    if (row === undefined) return null;
    return {
      name: row.name,
      server: row.server,
      createdAt: row.created_at,
      closedAt: row.closed_at,
      lastMessageId: row.last_message_id,
      settings: roomSettings(row),
    };
  }

  async reserveIds(room: string, through: number): Promise<void> {
    this.sql.raiseLastId.run({ room, id: through, at: Date.now() });
    this.database.confirm();
    this.mark(room, through);
  }

  async reserveBlock(room: string, count: number): Promise<number> {
    checkBlockCount(count);
    // One statement: SQLite serialises writers, so concurrent callers (other processes included) get disjoint blocks.
    const row = this.sql.raiseBlock.get({ room, count, at: Date.now() }) as { last_message_id: number };
    this.database.confirm();
    this.mark(room, row.last_message_id);
    return row.last_message_id;
  }

  async saveSettings(room: string, settings: RoomSettings): Promise<void> {
    this.sql.saveSettings.run({ room, slow: settings.slow, settings: JSON.stringify(settings), at: Date.now() });
  }

  async writeBatch(batch: WriteBatch): Promise<void> {
    this.database.use().writeTx(batch);
    // A commit into a file deleted meanwhile is not stored: it fails, and its retry goes into the file put back.
    this.database.confirm();
    // Only after the commit: a rolled-back batch must write its entries on the retry.
    for (const e of batch.moderation) this.written.add(e);
    for (const m of batch.messages) this.mark(m.room, m.id);
  }

  private applyBatch(sql: Handle['sql'], batch: WriteBatch): void {
    const lastIds = new Map<string, number>();
    const now = Date.now();
    for (const m of batch.messages) {
      sql.insertMessage.run(m.room, m.id, m.ts, m.user.id, m.user.name, m.user.role, m.text, encodeExtras(m));
      lastIds.set(m.room, Math.max(lastIds.get(m.room) ?? 0, m.id));
    }
    for (const [room, id] of lastIds) sql.raiseLastId.run({ room, id, at: now });
    for (const d of batch.deletions) sql.markDeleted.run(d.room, d.id);
    for (const c of batch.clears) sql.markCleared.run(c.room, c.throughId);
    // In order: a ban and its lifting in one batch end lifted.
    for (const b of batch.bans) {
      if (b.op === 'add') {
        const { user, room, reason, by, at, until, kind, address } = b.ban;
        sql.addBan.run(user, room ?? '', reason, by, at, until, kind ?? 'ban', address ?? null);
      } else sql.removeBan.run(b.user, b.room ?? '');
    }
    for (const e of batch.moderation) {
      if (this.written.has(e)) continue;
      sql.insertModeration.run(
        e.room,
        e.action,
        e.by.id,
        e.by.name,
        e.by.role,
        e.target,
        e.messageId,
        e.seconds,
        e.reason,
        e.at,
        e.key ?? null,
      );
    }
  }

  async messages(room: string, page: Page): Promise<TranscriptMessage[]> {
    const rows = this.sql.messages.all(room, cursor(page.before), page.limit) as MessageRow[];
    return rows.map((r) => ({
      room: r.room,
      id: r.id,
      ts: r.ts,
      user: { id: r.user_id, name: r.user_name, role: r.user_role as Role },
      text: r.text,
      ...decodeExtras(r.extras),
      deleted: r.deleted === 1,
      cleared: r.cleared === 1,
    }));
  }

  async bans(now: number): Promise<Ban[]> {
    return (this.sql.bans.all(now) as BanRow[]).map((r) => {
      const ban: Ban = {
        user: r.user_id,
        room: r.room === '' ? null : r.room,
        reason: r.reason,
        by: r.by,
        at: r.at,
        until: r.until,
      };
      if (r.kind === 'timeout') ban.kind = 'timeout';
      if (r.address !== null) ban.address = r.address;
      return ban;
    });
  }

  async blockedTerms(): Promise<string[] | null> {
    const row = this.sql.terms.get() as { terms: string } | undefined;
    return row === undefined ? null : (JSON.parse(row.terms) as string[]);
  }

  async setBlockedTerms(terms: string[]): Promise<void> {
    this.sql.setTerms.run(JSON.stringify(terms), Date.now());
    this.database.confirm();
  }

  async reviewTerms(): Promise<string[]> {
    const row = this.sql.reviewTerms.get() as { terms: string } | undefined;
    return row === undefined ? [] : (JSON.parse(row.terms) as string[]);
  }

  async setReviewTerms(terms: string[]): Promise<void> {
    this.sql.setReviewTerms.run(JSON.stringify(terms), Date.now());
    this.database.confirm();
  }

  async moderation(room: string, page: Page): Promise<ModerationEntry[]> {
    const rows = this.sql.moderation.all(room, cursor(page.before), page.limit) as ModerationRow[];
    return rows.map((r) => ({
      id: String(r.id),
      room: r.room,
      action: r.action as ModerationAction,
      by: { id: r.by_id, name: r.by_name, role: r.by_role as Actor['role'] },
      target: r.target,
      messageId: r.message_id,
      seconds: r.seconds,
      reason: r.reason,
      at: r.at,
    }));
  }

  async savePin(room: string, pin: StoredPin | null): Promise<void> {
    if (pin === null) this.sql.deletePin.run(room);
    else this.sql.savePin.run({ room, message: JSON.stringify(pin.message), until: pin.until });
  }

  async pin(room: string): Promise<StoredPin | null> {
    const row = this.sql.pin.get(room) as { message: string; until: number | null } | undefined;
    return row === undefined ? null : { message: JSON.parse(row.message) as ChatMessage, until: row.until };
  }

  async saveTip(tip: TipRecord): Promise<void> {
    this.sql.saveTip.run({
      key: tip.key,
      room: tip.room,
      userId: tip.user.id,
      userName: tip.user.name,
      amount: tip.amount,
      messageId: tip.messageId,
      status: tip.answer.status,
      outcome: tip.answer.outcome,
      reason: tip.answer.reason,
      at: tip.at,
    });
  }

  async tip(key: string): Promise<TipRecord | null> {
    const row = this.sql.tip.get(key) as TipRow | undefined;
    if (row === undefined) return null;
    const { id: _id, ...tip } = tipOf(row);
    return tip;
  }

  async tips(room: string, page: Page): Promise<TipEntry[]> {
    return (this.sql.tips.all(room, cursor(page.before), page.limit) as TipRow[]).map(tipOf);
  }

  async removeExpired(now: number): Promise<number> {
    if (this.closed) return 0;
    const { sql } = this;
    const oldest = now - this.options.retentionDays * DAY_MS;
    return sql.expireMessages.run(oldest).changes + sql.expireBans.run(now).changes;
  }
}

/** A room's stored modes: the JSON object when there is one (slow_seconds is kept beside it for older readers). */
function roomSettings(row: RoomRow): RoomSettings {
  if (row.settings === null) return { slow: row.slow_seconds };
  try {
    return { ...(JSON.parse(row.settings) as RoomSettings), slow: row.slow_seconds };
  } catch {
    return { slow: row.slow_seconds };
  }
}

function prepare(db: Db) {
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

function tipOf(r: TipRow): TipEntry {
  return {
    id: String(r.id),
    key: r.key,
    room: r.room,
    user: { id: r.user_id, name: r.user_name },
    amount: r.amount,
    messageId: r.message_id,
    answer: { status: r.status, outcome: r.outcome as TipOutcome, reason: r.reason },
    at: r.at,
  };
}
