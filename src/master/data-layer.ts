/**
 * The master's data half: the transcript writer takes what rooms record, the
 * cache serves bans and terms, the id reserver keeps ids ahead of use, a
 * (re-)created room is given what it continues from, and /load gets the
 * store's state. It knows nothing of workers: the master's rooms service calls
 * `restore`/`grants` before a room opens, hands it `records`, tells it
 * `roomOpened`/`roomClosed`, and forwards each `notice` to the room it names
 * (undefined: every open room).
 *
 * Notices: `cache` is sent per room (bans differ per room), built by `cacheFor`;
 * `committed` per room after each batch; `ids` per room when a new block is
 * reserved; `writable` to every room when a batch fails (the store cannot make
 * records durable) or the store reports itself down (`Store.watch`), and when it
 * works again. `batch` reports every batch write.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RoomSettings } from '../protocol/room-messages.js';
import type {
  IdGrant,
  RecordBatch,
  RestoredMessage,
  RoomCache,
  RoomNotice,
  RoomRestore,
  Writable,
} from '../protocol/room-messages.js';
import {
  type Actor,
  type Ban,
  type BanChange,
  emptyBatch,
  GLOBAL_ROOM,
  type ModerationAction,
  type NewModerationEntry,
  type Store,
  type StoredPin,
} from '../store/store.js';
import { DataCache, STORE_CALL_TIMEOUT_MS } from './cache.js';
import { withDeadline } from '../lifecycle.js';
import { IDS_BLOCK, IdReserver } from './data/id-reserver.js';
import { chatMessage } from '../protocol/message-extras.js';
import { banChangeOf } from './data/queued.js';
import { DataReads } from './data/reads.js';
import { StoreHealth } from './store-health.js';
import { TranscriptWriter } from './transcript-writer.js';

/** How long opening a room waits for the store before going on without it. */
const RESTORE_TIMEOUT_MS = 3_000;
/** The least a sender is told to wait while the store cannot take records. */
const MIN_RETRY_AFTER_MS = 1_000;
const ADMIN: Actor = { id: 'admin', name: 'admin', role: 'admin' };

export interface DataEvents {
  /** For one room, or (undefined) for every open room. */
  notice: [room: string | undefined, notice: RoomNotice];
  /** One transcript batch write ended: seconds taken, whether the store took it. */
  batch: [seconds: number, ok: boolean];
}

export interface DataLayerOptions {
  termsFile?: URL | string;
}

/** The names of the rooms open now (for notices to every room). */
export type OpenRooms = () => string[];

export class DataLayer extends EventEmitter<DataEvents> {
  readonly health: StoreHealth;
  readonly writer: TranscriptWriter;
  readonly cache: DataCache;
  readonly reads: DataReads;
  private readonly ids: IdReserver;
  private readonly log: Logger;
  private readonly server = hostname();
  /** Per room: the highest record sequence number taken in from its current instance. */
  private readonly takenIn = new Map<string, number>();
  private writable: Writable = { writable: true, retryAfterMs: 0 };
  private stopped = false;

  /** `openRooms`: the names of the rooms open now, for notices to every room. */
  constructor(
    private readonly config: Config,
    readonly store: Store,
    private readonly openRooms: OpenRooms,
    logger: Logger,
    options: DataLayerOptions = {},
  ) {
    super();
    this.log = logger.child({ component: 'data' });
    this.health = new StoreHealth(store.kind, this.log);
    this.writer = new TranscriptWriter({
      store,
      health: this.health,
      logger,
      queueLimit: config.transcriptQueueLimit,
      onCommitted: (room, through) => this.emit('notice', room, { type: 'committed', through }),
      onBatch: (seconds, ok) => this.onBatch(seconds, ok),
    });
    this.cache = new DataCache({
      store,
      health: this.health,
      logger,
      refreshS: config.cacheRefreshS,
      ...(options.termsFile === undefined ? {} : { termsFile: options.termsFile }),
      queuedBans: () => this.writer.queuedBans(),
      onChange: (names) => this.pushCache(names),
    });
    this.ids = new IdReserver({
      store,
      onGrant: (room, through) => this.emit('notice', room, { type: 'ids', through }),
      onStoreError: (error) => this.health.failed(error),
      onStoreOk: () => this.health.ok(),
    });
    this.reads = new DataReads(store, this.writer);
    // A store that watches itself (the SQLite file) is known down or back before any call fails or succeeds.
    store.watch?.((problem) => this.watched(problem));
  }

  private watched(problem: Error | null): void {
    if (problem !== null) this.health.failed(problem);
    else this.health.ok();
    this.setWritable(problem === null);
    // Back: what is queued is written now, not at the writer's next retry (up to 10 s away).
    if (problem === null) void this.writer.flush(Date.now() + STORE_CALL_TIMEOUT_MS);
  }

  async start(): Promise<void> {
    await this.store.open();
    await this.cache.start();
    this.log.info('Store ready', { kind: this.store.kind, state: this.health.state });
  }

  /** For /load. */
  status(): Record<string, unknown> {
    return {
      kind: this.store.kind,
      state: this.health.state,
      since: new Date(this.health.since).toISOString(),
      lastError: this.health.lastError,
      writable: this.writable.writable,
      ...this.writer.status(),
      cache: this.cache.status(),
    };
  }

  // ── rooms ─────────────────────────────────────────────────────────────────────
  /**
   * What a (re-)created room continues from: its last id (the reserved mark, so a
   * crash of the last instance never makes it repeat one), its recovery window
   * (with records still queued for the store laid over it), settings and cache.
   * Reserves the room's first block of ids before it resolves. With the store not
   * answering, ids continue from what this process reserved, or else from the
   * clock, and the room gets no ids until a block can be reserved.
   */
  async restore(name: string): Promise<RoomRestore> {
    const windowSize = this.config.limits.recoveryWindow;
    let stored: RestoredMessage[] = [];
    let lastId = this.ids.through(name);
    let known = false;
    let settings: RoomSettings = { slow: 0 };
    let pin: StoredPin | null = null;
    try {
      const [room, rows, storedPin] = await withDeadline(
        Promise.all([
          this.store.room(name),
          windowSize === 0 ? Promise.resolve([]) : this.store.messages(name, { limit: windowSize }),
          this.store.pin(name),
        ]),
        RESTORE_TIMEOUT_MS,
        'restoring a room',
      );
      stored = rows.reverse().map((r) => ({
        message: chatMessage(r),
        deleted: r.deleted,
        cleared: r.cleared,
      }));
      lastId = Math.max(lastId, room?.lastMessageId ?? 0, stored.at(-1)?.message.id ?? 0);
      known = true;
      if (room) settings = room.settings;
      pin = storedPin;
      this.health.ok();
    } catch (error) {
      this.health.failed(error);
      if (lastId === 0) lastId = Date.now();
      this.log.warn('Room opened without its stored history; the store did not answer', {
        room: name,
        continuesAfterId: lastId,
        error: (error as Error).message,
      });
    }
    const overlaid = this.writer.overlay(name, stored);
    lastId = Math.max(lastId, overlaid.at(-1)?.message.id ?? 0);
    // A new instance: its records are numbered from 1 again.
    this.writer.begin(name);
    this.takenIn.set(name, 0);
    await this.ids.open(name, lastId, known);
    const window = windowSize === 0 ? [] : overlaid.slice(-windowSize);
    const restore: RoomRestore = { lastId, window, settings, cache: this.cacheFor(name) };
    if (pin !== null) restore.pin = pin;
    return restore;
  }

  /** What a room is given in `open` (after `restore`): the ids reserved for it and whether it may accept messages. */
  grants(name: string): { ids: IdGrant; writable: Writable } {
    return { ids: { through: this.ids.through(name) }, writable: { ...this.writable } };
  }

  /** The cache as one room applies it, with `through` = its last record taken in. */
  cacheFor(name: string): RoomCache {
    return { ...this.cache.forRoom(name), through: this.takenIn.get(name) ?? 0 };
  }

  /** What a room recorded, in order. */
  records(name: string, batch: RecordBatch): void {
    const last = batch.firstSeq + batch.records.length - 1;
    if (last > (this.takenIn.get(name) ?? 0)) this.takenIn.set(name, last);
    this.writer.add(name, batch);
    for (const r of batch.records) {
      if (r.kind === 'message') {
        this.ids.used(name, r.message.id);
        continue;
      }
      const change = banChangeOf(name, r);
      // Queued with its log entry above; in force in the cache at once.
      if (change !== undefined) this.cache.apply(change, false);
      else if (r.action === 'slow' || r.action === 'settings')
        this.best('chat modes', this.store.saveSettings(name, r.settings ?? { slow: r.seconds ?? 0 }));
    }
  }

  /**
   * Cluster mode: a block of ids reserved in the (shared) store for this one
   * grant, so no two grants anywhere in the cluster overlap; the room hands it
   * to its shared counter once. With the store down, the room asks again.
   */
  async reserveBlock(name: string): Promise<IdGrant | undefined> {
    try {
      const through = await withDeadline(this.store.reserveBlock(name, IDS_BLOCK), 3_000, 'reserving ids');
      return { from: through - IDS_BLOCK + 1, through };
    } catch (error) {
      this.log.warn('Could not reserve ids for a room', { room: name, error: String(error) });
      return undefined;
    }
  }

  roomOpened(name: string): void {
    this.best('room opened', this.store.roomOpened(name, this.server, Date.now()));
    // A change may have been on its way while the room opened.
    this.pushCache([name]);
  }

  roomClosed(name: string): void {
    this.ids.closed(name);
    this.takenIn.delete(name);
    this.writer.end(name);
    this.best('room closed', this.store.roomClosed(name, Date.now()));
  }

  private pushCache(names: string[] | undefined): void {
    for (const name of names ?? this.openRooms()) this.emit('notice', name, { type: 'cache', ...this.cacheFor(name) });
  }

  private onBatch(seconds: number, ok: boolean): void {
    this.emit('batch', seconds, ok);
    this.setWritable(ok);
  }

  private setWritable(ok: boolean): void {
    if (ok === this.writable.writable) return;
    this.writable = ok
      ? { writable: true, retryAfterMs: 0 }
      : { writable: false, retryAfterMs: Math.max(MIN_RETRY_AFTER_MS, this.writer.retryInMs()) };
    this.emit('notice', undefined, { type: 'writable', ...this.writable });
    if (ok) this.ids.retry();
  }

  // ── the admin API ─────────────────────────────────────────────────────────────
  /** An admin act for the room's moderation log (queued like a room's records). */
  logAdmin(room: string, action: ModerationAction, target: string | null, reason: string): void {
    this.writer.addModeration(adminEntry(room, action, target, reason));
  }

  /**
   * An admin ban: the ban and its log entry (room GLOBAL_ROOM for a ban from every
   * room) in one batch, written now; throws, with nothing applied, if the store
   * fails. Then in force in the rooms it concerns.
   */
  ban(ban: Ban): Promise<void> {
    const entry = adminEntry(ban.room ?? GLOBAL_ROOM, 'ban', ban.user, ban.reason);
    if (ban.until !== null) entry.seconds = Math.ceil((ban.until - ban.at) / 1000);
    return this.adminBanChange({ op: 'add', ban }, entry);
  }

  /** Lifts a ban the same way; false (nothing written) if there is no such ban. */
  async unban(user: string, room: string | null): Promise<boolean> {
    const bans = await this.reads.bans();
    if (!bans.some((b) => b.user === user && b.room === room)) return false;
    await this.adminBanChange({ op: 'remove', user, room }, adminEntry(room ?? GLOBAL_ROOM, 'unban', user, ''));
    return true;
  }

  private adminBanChange(change: BanChange, entry: NewModerationEntry): Promise<void> {
    const batch = { ...emptyBatch(), bans: [change], moderation: [entry] };
    return this.cache.change(change, () => withDeadline(this.store.writeBatch(batch), STORE_CALL_TIMEOUT_MS, 'ban'));
  }

  /** A room's pin changed (null: unpinned): kept for the room's next instance. */
  pinned(name: string, pin: StoredPin | null): void {
    this.best('pin', withDeadline(this.store.savePin(name, pin), STORE_CALL_TIMEOUT_MS, 'saving a pin'));
  }

  /** A store write nobody waits for: its failure marks the store down and is logged. */
  private best(what: string, write: Promise<unknown>): void {
    write.then(
      () => this.health.ok(),
      (error: unknown) => {
        this.health.failed(error);
        this.log.warn(`Store write failed: ${what}`, { error: (error as Error).message });
      },
    );
  }

  /** Writes what is queued (within the deadline), stops refreshing, closes the store. Idempotent. */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cache.stop();
    this.ids.stop();
    await this.writer.stop(deadline);
    await this.store.close();
  }
}

function adminEntry(room: string, action: ModerationAction, target: string | null, reason: string): NewModerationEntry {
  return { room, action, by: ADMIN, target, messageId: null, seconds: null, reason, at: Date.now() };
}
