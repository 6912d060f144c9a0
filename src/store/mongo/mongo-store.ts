/**
 * The MongoDB store, through mongoose with `bufferCommands: false`: while the
 * database is unreachable every call fails at once instead of queueing in memory,
 * so the master's cache and transcript writer see the outage, keep their last
 * good data and retry on their own schedule. The first connection is retried in
 * the background until it succeeds (mongoose does not retry it by itself); after
 * that the driver reconnects on its own.
 *
 * Writes are made safe to repeat, since the writer retries a batch whose outcome
 * it does not know: messages have a unique (room, id), moderation entries get
 * their ObjectId once per entry (and a keyed one a unique (room, logKey), so
 * every server's copy of a room may write it), and duplicates are ignored; ban
 * changes are replaces and deletes by (user, room). Without a replica set there
 * are no multi-document transactions: a batch's parts are written in order
 * (messages, marks, bans, log) and a batch that fails part-way is retried whole.
 */
import { type Connection, createConnection, Types } from 'mongoose';
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
  storedBan,
  type TipEntry,
  type TipRecord,
  type TranscriptMessage,
  type WriteBatch,
} from '../store.js';
import { banDoc, messageDoc, moderationEntryOf, onlyDuplicates, tipOf, transcriptMessageOf } from './documents.js';
import { InOrder } from './in-order.js';
import { defineModels, type Models } from './models.js';

export interface MongoStoreOptions {
  uri: string;
  retentionDays: number;
  /** Overrides the database named in the URI (the tests use a throwaway one). */
  dbName?: string;
  /** How long a call waits to find a server before failing. */
  serverSelectionTimeoutMS?: number;
  onConnectError?(error: Error): void;
}

const TERMS_ID = 'blocked';
const REVIEW_TERMS_ID = 'review';
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export class MongoStore implements Store {
  readonly kind = 'mongodb' as const;
  private readonly connection: Connection;
  private readonly models: Models;
  /** Every index is in place (syncIndexes ended): until then the models are not handed out. */
  private indexed = false;
  /** The ObjectId each moderation entry was first written with, so a retry reuses it. */
  private readonly entryIds = new WeakMap<NewModerationEntry, Types.ObjectId>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private opening: Promise<void> | null = null;
  /** A room's document and its pin are written in call order (in-order.ts). */
  private readonly inOrder = new InOrder();

  constructor(private readonly options: MongoStoreOptions) {
    this.connection = createConnection();
    // A failed connection attempt is reported by connect(); this catches what happens once connected.
    this.connection.on('error', (error: Error) => {
      if (this.connected) options.onConnectError?.(error);
    });
    this.models = defineModels(this.connection, options.retentionDays);
  }

  /**
   * The models, once every index exists. A retry's openUri connects before its
   * syncIndexes ends, and with bufferCommands off a call made then would go
   * through on collections that may lack their unique indexes (a retried batch
   * would store rows twice, and the index could then never be built).
   */
  private get m(): Models {
    if (!this.indexed) throw new Error('The MongoDB store is not ready: its indexes are not all in place yet');
    return this.models;
  }

  open(): Promise<void> {
    this.opening ??= this.connect(RETRY_MIN_MS);
    return this.opening;
  }

  /** One attempt; on failure schedules the next with a doubling delay and resolves. */
  private async connect(delayMs: number): Promise<void> {
    if (this.closed) return;
    try {
      await this.connection.openUri(this.options.uri, {
        bufferCommands: false,
        autoIndex: false,
        autoCreate: true,
        serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMS ?? 5_000,
        // Set here, over whatever the URI says: an acknowledged write (an id
        // reserved, a message stored) must survive a failover, and the ids a room
        // continues from must be read from the primary, never a lagging secondary
        // (either would give an id twice).
        // `j` too: the driver takes a URI's j/journal=false over `journal` alone.
        writeConcern: { w: 'majority', journal: true, j: true },
        readPreference: 'primary',
        ...(this.options.dbName === undefined ? {} : { dbName: this.options.dbName }),
      });
      if (this.closed) return void (await this.connection.close());
      // syncIndexes also changes the TTL when TRANSCRIPT_RETENTION_DAYS changed.
      for (const model of Object.values(this.models)) await model.syncIndexes();
      if (this.closed) return void (await this.connection.close());
      this.indexed = true;
    } catch (error) {
      this.indexed = false;
      this.options.onConnectError?.(error as Error);
      // Not usable without its unique indexes (a retried batch would store rows
      // twice): closed, so calls fail at once until a retry has them all.
      await this.connection.close().catch(() => undefined);
      if (this.closed) return;
      this.retryTimer = setTimeout(() => void this.connect(Math.min(delayMs * 2, RETRY_MAX_MS)), delayMs);
      this.retryTimer.unref();
    }
  }

  /** True while a server is reachable (after the first connection). */
  get connected(): boolean {
    return this.connection.readyState === 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connection.close();
  }

  /** Drops the whole database; for throwaway test databases only. */
  async dropDatabase(): Promise<void> {
    await this.connection.dropDatabase();
  }

  async roomOpened(room: string, server: string, at: number): Promise<void> {
    await this.inOrder.run(`room:${room}`, () =>
      this.m.rooms.updateOne({ _id: room }, { $set: { server, createdAt: at, closedAt: null } }, { upsert: true }),
    );
  }

  async roomClosed(room: string, at: number): Promise<void> {
    await this.inOrder.run(`room:${room}`, () => this.m.rooms.updateOne({ _id: room }, { $set: { closedAt: at } }));
  }

  async room(room: string): Promise<StoredRoom | null> {
    const doc = await this.m.rooms.findById(room).lean();
    if (doc === null) return null;
    return {
      name: doc._id,
      server: doc.server ?? '',
      createdAt: doc.createdAt,
      closedAt: doc.closedAt ?? null,
      lastMessageId: doc.lastMessageId ?? 0,
      settings: { ...(doc.modes ?? {}), slow: doc.slow ?? 0 },
    };
  }

  async reserveIds(room: string, through: number): Promise<void> {
    await this.m.rooms.updateOne(
      { _id: room },
      { $max: { lastMessageId: through }, $setOnInsert: { createdAt: Date.now(), server: '', slow: 0 } },
      { upsert: true },
    );
  }

  async reserveBlock(room: string, count: number): Promise<number> {
    checkBlockCount(count);
    // One atomic update on one document: concurrent callers on any server get disjoint blocks.
    const doc = await this.m.rooms
      .findOneAndUpdate(
        { _id: room },
        { $inc: { lastMessageId: count }, $setOnInsert: { createdAt: Date.now(), server: '', slow: 0 } },
        { upsert: true, returnDocument: 'after', setDefaultsOnInsert: false },
      )
      .lean();
    if (doc === null) throw new Error(`reserveBlock: no room document for ${room} after the upsert`);
    return doc.lastMessageId;
  }

  async saveSettings(room: string, settings: RoomSettings): Promise<void> {
    await this.inOrder.run(`room:${room}`, () =>
      this.m.rooms.updateOne(
        { _id: room },
        { $set: { slow: settings.slow, modes: settings }, $setOnInsert: { createdAt: Date.now() } },
        { upsert: true },
      ),
    );
  }

  async writeBatch(batch: WriteBatch): Promise<void> {
    if (batch.messages.length > 0) {
      const docs = batch.messages.map(messageDoc);
      try {
        await this.m.messages.insertMany(docs, { ordered: false, lean: true });
      } catch (error) {
        if (!onlyDuplicates(error)) throw error;
      }
      const lastIds = new Map<string, number>();
      for (const m of batch.messages) lastIds.set(m.room, Math.max(lastIds.get(m.room) ?? 0, m.id));
      const now = Date.now();
      await this.m.rooms.bulkWrite(
        [...lastIds].map(([room, id]) => ({
          updateOne: {
            filter: { _id: room },
            update: { $max: { lastMessageId: id }, $setOnInsert: { createdAt: now, server: '', slow: 0 } },
            upsert: true,
            setDefaultsOnInsert: false,
          },
        })),
      );
    }
    if (batch.deletions.length > 0)
      await this.m.messages.bulkWrite(
        batch.deletions.map((d) => ({
          updateOne: { filter: { room: d.room, id: d.id }, update: { $set: { deleted: true } } },
        })),
      );
    for (const c of batch.clears)
      await this.m.messages.updateMany(
        { room: c.room, id: { $lte: c.throughId }, cleared: false },
        { $set: { cleared: true } },
      );
    // Ban changes in order, before their log entries: a batch that fails between
    // the two is retried whole, and both writes are safe to repeat.
    if (batch.bans.length > 0)
      await this.m.bans.bulkWrite(
        batch.bans.map((b) =>
          b.op === 'add'
            ? {
                replaceOne: {
                  filter: { user: b.ban.user, room: b.ban.room ?? '' },
                  replacement: banDoc(b.ban),
                  upsert: true,
                },
              }
            : { deleteOne: { filter: { user: b.user, room: b.room ?? '' } } },
        ),
        { ordered: true },
      );
    if (batch.moderation.length > 0) {
      const docs = batch.moderation.map((e) => {
        let _id = this.entryIds.get(e);
        if (_id === undefined) this.entryIds.set(e, (_id = new Types.ObjectId()));
        const { key, ...rest } = e;
        // A keyed entry another server stored already is a duplicate (room, logKey), ignored below.
        return key === undefined ? { _id, ...rest } : { _id, ...rest, logKey: key };
      });
      try {
        await this.m.moderation.insertMany(docs, { ordered: false, lean: true });
      } catch (error) {
        if (!onlyDuplicates(error)) throw error;
      }
    }
  }

  async messages(room: string, page: Page): Promise<TranscriptMessage[]> {
    if (page.limit <= 0) return []; // MongoDB's limit(0) would mean no limit
    const filter = page.before === undefined ? { room } : { room, id: { $lt: Number(page.before) } };
    const docs = await this.m.messages.find(filter).sort({ id: -1 }).limit(page.limit).lean();
    return docs.map(transcriptMessageOf);
  }

  async bans(now: number): Promise<Ban[]> {
    const docs = await this.m.bans
      .find({ $or: [{ until: null }, { until: { $gt: new Date(now) } }] })
      .sort({ at: 1, user: 1 })
      .lean();
    // `until: null` also matches a document without the field: both are bans without end.
    return docs.map((d) =>
      storedBan({ ...d, until: d.until === null || d.until === undefined ? null : d.until.getTime() }),
    );
  }

  async blockedTerms(): Promise<string[] | null> {
    const doc = await this.m.terms.findById(TERMS_ID).lean();
    return doc === null ? null : [...doc.terms];
  }

  async setBlockedTerms(terms: string[]): Promise<void> {
    await this.m.terms.updateOne({ _id: TERMS_ID }, { $set: { terms, updatedAt: Date.now() } }, { upsert: true });
  }

  async reviewTerms(): Promise<string[]> {
    const doc = await this.m.terms.findById(REVIEW_TERMS_ID).lean();
    return doc === null ? [] : [...doc.terms];
  }

  async setReviewTerms(terms: string[]): Promise<void> {
    await this.m.terms.updateOne(
      { _id: REVIEW_TERMS_ID },
      { $set: { terms, updatedAt: Date.now() } },
      { upsert: true },
    );
  }

  async moderation(room: string, page: Page): Promise<ModerationEntry[]> {
    if (page.limit <= 0) return [];
    let filter: Record<string, unknown> = { room };
    if (page.before !== undefined) {
      const before = String(page.before);
      // Not an id this store gave out: nothing is older than it.
      if (!/^[0-9a-f]{24}$/i.test(before)) return [];
      filter = { room, _id: { $lt: new Types.ObjectId(before) } };
    }
    const docs = await this.m.moderation.find(filter).sort({ _id: -1 }).limit(page.limit).lean();
    return docs.map(moderationEntryOf);
  }

  async savePin(room: string, pin: StoredPin | null): Promise<void> {
    await this.inOrder.run(`pin:${room}`, async () => {
      if (pin === null) await this.m.pins.deleteOne({ _id: room });
      else
        await this.m.pins.replaceOne(
          { _id: room },
          { _id: room, message: JSON.stringify(pin.message), until: pin.until },
          { upsert: true },
        );
    });
  }

  async pin(room: string): Promise<StoredPin | null> {
    const doc = await this.m.pins.findById(room).lean();
    return doc === null ? null : { message: JSON.parse(doc.message) as ChatMessage, until: doc.until ?? null };
  }

  async saveTip(tip: TipRecord): Promise<void> {
    // By key: a later answer for the same key replaces the earlier one and keeps its _id (its place in the list).
    await this.inOrder.run(`tip:${tip.key}`, () =>
      this.m.tips.updateOne(
        { key: tip.key },
        {
          $set: { messageId: tip.messageId, answer: tip.answer, at: tip.at },
          $setOnInsert: { room: tip.room, user: tip.user, amount: tip.amount },
        },
        { upsert: true },
      ),
    );
  }

  async tip(key: string): Promise<TipRecord | null> {
    const doc = await this.m.tips.findOne({ key }).lean();
    if (doc === null) return null;
    const { id: _id, ...tip } = tipOf(doc);
    return tip;
  }

  async tips(room: string, page: Page): Promise<TipEntry[]> {
    if (page.limit <= 0) return [];
    let filter: Record<string, unknown> = { room };
    if (page.before !== undefined) {
      const before = String(page.before);
      if (!/^[0-9a-f]{24}$/i.test(before)) return [];
      filter = { room, _id: { $lt: new Types.ObjectId(before) } };
    }
    const docs = await this.m.tips.find(filter).sort({ _id: -1 }).limit(page.limit).lean();
    return docs.map(tipOf);
  }

  /** The TTL indexes do this on their own about once a minute; this is the same, at once. */
  async removeExpired(now: number): Promise<number> {
    const oldest = new Date(now - this.options.retentionDays * DAY_MS);
    const messages = await this.m.messages.deleteMany({ at: { $lt: oldest } });
    const bans = await this.m.bans.deleteMany({ until: { $ne: null, $lte: new Date(now) } });
    return messages.deletedCount + bans.deletedCount;
  }
}
