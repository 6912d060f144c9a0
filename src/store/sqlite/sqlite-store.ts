/**
 * The embedded store: SQLite through better-sqlite3 in DATA_DIR/chatserver.db, in
 * WAL mode (readers do not wait for the writer, and a commit is one append).
 * Every statement is prepared once (statements.ts); a transcript batch is one
 * transaction (write-batch.ts), so a crash leaves either the whole batch or none
 * of it (a ban with its log entry). better-sqlite3 is synchronous: the calls are
 * short (a 500-row batch is a few milliseconds) and the master is their only caller. Retention runs hourly on an unref()ed timer.
 *
 * Building one opens nothing: `open()` prepares DATA_DIR (naming what is wrong
 * with it), opens the file and starts the timers. The file is watched
 * (database-file.ts): while it is deleted, moved or replaced every call fails with
 * the reason and the watch listeners are told; once a database file is back it is
 * reopened, and the id marks this process reserved are written into it again, so
 * an older copy put back never lets a room's ids repeat.
 */
import { join } from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import type { ChatMessage } from '../../protocol/frames.js';
import {
  type Ban,
  checkBlockCount,
  DAY_MS,
  type ModerationEntry,
  type NewModerationEntry,
  type Page,
  type StoredPin,
  type StoredRoom,
  type RoomSettings,
  type Store,
  type TipEntry,
  type TipRecord,
  type TranscriptMessage,
  type WriteBatch,
} from '../store.js';
import { StoreOpenError } from '../open-error.js';
import { DatabaseFile } from './database-file.js';
import { prepareDataDir } from './data-dir.js';
import {
  banOf,
  type BanRow,
  messageOf,
  type MessageRow,
  moderationOf,
  type ModerationRow,
  roomOf,
  type RoomRow,
  tipOf,
  type TipRow,
} from './rows.js';
import { migrate, SCHEMA, SCHEMA_VERSION } from './schema.js';
import { cursor, prepare, type Statements } from './statements.js';
import { applyBatch } from './write-batch.js';

export const DB_FILE = 'chatserver.db';
const RETENTION_SWEEP_MS = 3_600_000;

export interface SqliteStoreOptions {
  dataDir: string;
  retentionDays: number;
}

/** What one open handle of the file has prepared. */
interface Handle {
  sql: Statements;
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
    return { sql, writeTx: db.transaction((batch: WriteBatch) => applyBatch(sql, batch, this.written)) };
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
    return row === undefined ? null : roomOf(row);
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

  async messages(room: string, page: Page): Promise<TranscriptMessage[]> {
    return (this.sql.messages.all(room, cursor(page.before), page.limit) as MessageRow[]).map(messageOf);
  }

  async bans(now: number): Promise<Ban[]> {
    return (this.sql.bans.all(now) as BanRow[]).map(banOf);
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
    return (this.sql.moderation.all(room, cursor(page.before), page.limit) as ModerationRow[]).map(moderationOf);
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
