/**
 * Wires the store into the master: the transcript writer takes what rooms
 * record, the cache serves bans and terms, a re-created room is given what it
 * continues from, and /load gets the store's state. The ChatServer owns one and
 * starts it before listening and stops it after the rooms (so the rooms' last
 * records are in the queue when it is flushed).
 */
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RecordBatch, RestoredMessage, RoomRestore } from '../protocol/room-messages.js';
import type { Actor, ModerationAction, Store } from '../store/store.js';
import { DataCache } from './cache.js';
import { StoreHealth } from './store-health.js';
import type { LegacySupervisor as Supervisor } from './legacy-data.js';
import { TranscriptWriter } from './transcript-writer.js';

/** How long opening a room waits for the store before going on without it. */
const RESTORE_TIMEOUT_MS = 3_000;
const ADMIN: Actor = { id: 'admin', name: 'admin', role: 'admin' };

export interface DataLayerOptions {
  termsFile?: URL | string;
}

export class DataLayer {
  readonly health: StoreHealth;
  readonly writer: TranscriptWriter;
  readonly cache: DataCache;
  private readonly log: Logger;
  private readonly server = hostname();
  private stopped = false;

  constructor(
    private readonly config: Config,
    readonly store: Store,
    private readonly supervisor: Supervisor,
    logger: Logger,
    options: DataLayerOptions = {},
  ) {
    this.log = logger.child({ component: 'data' });
    this.health = new StoreHealth(store.kind, this.log);
    this.writer = new TranscriptWriter({
      store,
      health: this.health,
      logger,
      queueLimit: config.transcriptQueueLimit,
      onCommitted: (room, through) => supervisor.get(room)?.notify({ type: 'committed', through }),
    });
    this.cache = new DataCache({
      store,
      health: this.health,
      supervisor,
      logger,
      refreshS: config.cacheRefreshS,
      ...(options.termsFile === undefined ? {} : { termsFile: options.termsFile }),
    });
  }

  async start(): Promise<void> {
    await this.store.open();
    await this.cache.start();
    this.supervisor.roomState = (name) => this.restore(name);
    this.supervisor.on('records', (room, records) => this.onRecords(room, records));
    this.supervisor.on('roomOpened', (room) => {
      this.best('room opened', this.store.roomOpened(room, this.server, Date.now()));
      void this.cache.pushTo(room);
    });
    this.supervisor.on('roomClosed', (room) => this.best('room closed', this.store.roomClosed(room, Date.now())));
    this.log.info('Store ready', { kind: this.store.kind, state: this.health.state });
  }

  /** For /load. */
  status(): Record<string, unknown> {
    return {
      kind: this.store.kind,
      state: this.health.state,
      since: new Date(this.health.since).toISOString(),
      lastError: this.health.lastError,
      ...this.writer.status(),
      cache: this.cache.status(),
    };
  }

  /** An admin act for the room's moderation log. */
  logAdmin(room: string, action: ModerationAction, target: string | null, reason: string): void {
    this.writer.addModeration({
      room,
      action,
      by: ADMIN,
      target,
      messageId: null,
      seconds: null,
      reason,
      at: Date.now(),
    });
  }

  private onRecords(room: string, batch: RecordBatch): void {
    this.writer.add(room, batch);
    for (const r of batch.records) {
      if (r.kind !== 'moderation') continue;
      if ((r.action === 'ban' || r.action === 'unban') && r.target !== null)
        void this.cache.roomModeration(room, r.action, r.target, r.by.id, r.reason);
      else if (r.action === 'slow') this.best('slow mode', this.store.saveSettings(room, { slow: r.seconds ?? 0 }));
    }
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

  /**
   * What a (re-)created room continues from: its last id, its recovery window
   * (with records still queued for the store laid over it) and its settings.
   * With the store not answering, ids continue from what this process saw, or
   * else from the clock — ids stay above any given out before (which count from
   * 1), so none is reused once the store is back.
   */
  async restore(name: string): Promise<RoomRestore> {
    const windowSize = this.config.limits.recoveryWindow;
    let stored: RestoredMessage[] = [];
    let lastId = this.writer.lastIdOf(name);
    let settings = { slow: 0 };
    try {
      const [room, rows] = await withTimeout(
        Promise.all([
          this.store.room(name),
          windowSize === 0 ? Promise.resolve([]) : this.store.messages(name, { limit: windowSize }),
        ]),
        RESTORE_TIMEOUT_MS,
      );
      stored = rows.reverse().map((r) => ({
        message: { type: 'message' as const, id: r.id, ts: r.ts, user: r.user, text: r.text },
        deleted: r.deleted,
        cleared: r.cleared,
      }));
      lastId = Math.max(lastId, room?.lastMessageId ?? 0, stored.at(-1)?.message.id ?? 0);
      if (room) settings = room.settings;
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
    this.writer.noteLastId(name, lastId);
    const window = windowSize === 0 ? [] : overlaid.slice(-windowSize);
    return { lastId, window, settings, cache: this.cache.forRoom(name) };
  }

  /** Writes what is queued (within the deadline), stops refreshing, closes the store. Idempotent. */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cache.stop();
    await this.writer.stop(deadline);
    await this.store.close();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
