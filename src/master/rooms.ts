/**
 * The rooms service: what HTTP, the metrics and the master's other parts ask of
 * rooms (create, close, look up, list, stats, broadcast, kick) and the way data
 * notices reach them. It owns the one table of how long each request to a room
 * may take, builds the Supervisor (which only runs workers) and gives it what it
 * reports to: the data layer for restores, grants and records, and this
 * service's own events (roomOpened, roomClosed, viewers) for the balancers and
 * the webhooks. Nothing outside src/master/ speaks the worker protocol.
 *
 * Building one starts nothing; `start()` starts the workers and subscribes to the
 * data layer's notices, `stop()` undoes both.
 */
import { EventEmitter } from 'node:events';
import type { Config } from '../config.js';
import { ListenerSet } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import type { ExtrasFromRoom, IdGrant, RecordBatch, RoomNotice, RoomStats } from '../protocol/room-messages.js';
import type { StoredPin } from '../store/store.js';
import type { CreditService } from './credits.js';
import type { RoomHandle } from './room-handle.js';
import { type CreateResult, type RoomReports, Supervisor, type WorkerCounts } from './supervisor.js';

export { type CreateResult, NoSlotError } from './supervisor.js';

/** What the rooms need of the data layer (src/master/data-layer.ts). */
export interface RoomData extends Pick<RoomReports, 'restore' | 'grants'> {
  records(name: string, batch: RecordBatch): void;
  /** A room's pin changed (null: unpinned). */
  pinned?(name: string, pin: StoredPin | null): void;
  roomOpened(name: string): void;
  roomClosed(name: string): void;
  /** Cluster mode: reserves a fresh block of ids for the room's shared counter (undefined: the store did not answer). */
  reserveBlock(name: string): Promise<IdGrant | undefined>;
  /** `room` undefined: the notice is for every open room. */
  on(event: 'notice', listener: (room: string | undefined, notice: RoomNotice) => void): unknown;
  off(event: 'notice', listener: (room: string | undefined, notice: RoomNotice) => void): unknown;
}

export interface RoomsEvents {
  roomOpened: [name: string, port: number];
  roomClosed: [name: string, reason: string];
  viewers: [name: string, viewers: number];
}

/** Milliseconds each request to a room may take before it counts as unanswered. */
export interface RequestTimeouts {
  /** Listening on the room's port, after boot. */
  open: number;
  /** The liveness check: a room that does not answer in time is hung. */
  ping: number;
  /** An admin's stats read. */
  stats: number;
  /** A metrics scrape: a room that does not answer is left out of that scrape. */
  scrape: number;
  broadcast: number;
  kick: number;
  /** Longer than a room's own grace for clients that never answer its close (5 s). */
  close: number;
}

/** The one table of request timeouts; ROOM_BOOT_TIMEOUT_MS and ROOM_LIVENESS_TIMEOUT_MS come from the configuration. */
export function requestTimeouts(config: Pick<Config, 'roomBootTimeoutMs' | 'roomLivenessTimeoutMs'>): RequestTimeouts {
  return {
    open: config.roomBootTimeoutMs,
    ping: config.roomLivenessTimeoutMs,
    stats: 5_000,
    scrape: 2_000,
    broadcast: 5_000,
    kick: 5_000,
    close: 8_000,
  };
}

/** A room as the public API shows it. */
export interface RoomInfo {
  name: string;
  port: number;
  viewers: number;
}

export interface RoomsServiceOptions {
  config: Config;
  logger: Logger;
  /** The room worker's entry file; tests point this at fixtures that crash or hang. */
  workerFile: URL;
  data: RoomData;
  /** Overrides of the table (tests). */
  timeouts?: Partial<RequestTimeouts>;
  /** Paid messages' debits (CREDIT_SERVICE_URL); without it a debit is refused. */
  credits?: CreditService;
}

export class RoomsService extends EventEmitter<RoomsEvents> {
  readonly timeouts: Readonly<RequestTimeouts>;
  private readonly supervisor: Supervisor;
  private readonly data: RoomData;
  private readonly subscriptions = new ListenerSet();
  private started = false;

  constructor(options: RoomsServiceOptions) {
    super();
    this.data = options.data;
    this.timeouts = Object.freeze({ ...requestTimeouts(options.config), ...options.timeouts });
    const { data } = this;
    const reports: RoomReports = {
      restore: (name) => data.restore(name),
      grants: (name) => data.grants(name),
      records: (name, batch) => data.records(name, batch),
      opened: (name, port) => {
        data.roomOpened(name);
        this.emit('roomOpened', name, port);
      },
      closed: (name, reason) => {
        data.roomClosed(name);
        this.emit('roomClosed', name, reason);
      },
      viewers: (name, viewers) => this.emit('viewers', name, viewers),
      needIds: (name) => data.reserveBlock(name),
      closing: (name, reason) => void this.supervisor.closeRoom(name, reason),
      extras: (handle, message) => this.extras(handle, message, options.credits),
    };
    this.supervisor = new Supervisor({
      config: options.config,
      logger: options.logger,
      workerFile: options.workerFile,
      reports,
      timeouts: this.timeouts,
    });
  }

  /** A room's pin goes to the store; its debits to the credit service, answered with a `debited` notice. */
  private extras(handle: RoomHandle, message: ExtrasFromRoom, credits: CreditService | undefined): void {
    if (message.type === 'pin') return this.data.pinned?.(message.room, message.pin);
    if (message.type === 'tipped') return credits?.tipped(message.tip);
    const request = message.request.id;
    if (credits === undefined)
      return handle.notify({ type: 'debited', request, outcome: 'refused', reason: 'Paid messages are not enabled' });
    void credits.debit(message.request).then((answer) => handle.notify({ type: 'debited', ...answer }));
  }

  /** Starts the workers (warm pool, liveness) and takes the data layer's notices; idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.subscriptions.on(this.data, 'notice', (room: string | undefined, notice: RoomNotice) =>
      this.notify(room, notice),
    );
    this.supervisor.start();
  }

  /** Closes every room (clients get 1001) and stops the workers within `deadlineMs`; idempotent. */
  async stop(reason: string, deadlineMs: number): Promise<void> {
    await this.supervisor.stop(reason, deadlineMs);
    this.subscriptions.removeAll();
  }

  get slots(): number {
    return this.supervisor.slots;
  }

  /** Slots in use (rooms open or opening). */
  get roomCount(): number {
    return this.supervisor.roomCount;
  }

  get workerCounts(): Readonly<WorkerCounts> {
    return this.supervisor.workerCounts;
  }

  /** Names of the open rooms. */
  names(): string[] {
    return this.supervisor.openRooms().map((h) => h.name);
  }

  lookup(name: string): RoomInfo | undefined {
    const handle = this.supervisor.get(name);
    return handle === undefined ? undefined : { name, port: handle.port, viewers: handle.viewers };
  }

  /** Joined connections across every open room. */
  connections(): number {
    return this.supervisor.openRooms().reduce((sum, h) => sum + h.viewers, 0);
  }

  /** Creates a room or answers the existing one's port; rejects with NoSlotError when full or stopping. */
  create(name: string): Promise<CreateResult> {
    return this.supervisor.create(name);
  }

  /**
   * An admin's shutdown of a room: closes it here and, in a cluster, on every
   * server that has a copy. False if none of that name is open here.
   */
  close(name: string, reason: string): Promise<boolean> {
    return this.supervisor.closeRoom(name, reason, true);
  }

  /** One room's stats; undefined if no such room; rejects (RoomRequestError) if it does not answer in time. */
  async stats(name: string): Promise<RoomStats | undefined> {
    const handle = this.supervisor.get(name);
    return handle === undefined ? undefined : handle.request('stats', {}, this.timeouts.stats);
  }

  /** Every room that answered in time, by name; `for` picks the timeout (an admin read or a scrape). */
  async allStats(purpose: 'stats' | 'scrape' = 'stats'): Promise<RoomStats[]> {
    const stats = await this.each(undefined, (h) => h.request('stats', { reader: purpose }, this.timeouts[purpose]));
    return [...stats.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A system line to the named (or every) open room: how many rooms took it and how many clients got it. */
  async broadcast(text: string, rooms?: string[]): Promise<{ rooms: number; delivered: number }> {
    const ts = Date.now();
    const results = await this.each(rooms, (h) => h.request('broadcast', { text, ts }, this.timeouts.broadcast));
    const delivered = [...results.values()].reduce((sum, r) => sum + r.delivered, 0);
    return { rooms: results.size, delivered };
  }

  /** Closes a user's connections in a room; undefined if no such room. */
  async kick(name: string, user: string, reason: string): Promise<{ closed: number } | undefined> {
    const handle = this.supervisor.get(name);
    return handle === undefined ? undefined : handle.request('kick', { user, reason }, this.timeouts.kick);
  }

  /** A one-way notice to one open room, or to every open room; dropped for a room that is not open. */
  notify(room: string | undefined, notice: RoomNotice): void {
    if (room !== undefined) this.supervisor.get(room)?.notify(notice);
    else for (const handle of this.supervisor.openRooms()) handle.notify(notice);
  }

  /** Asks each named (or every) open room; resolves with the answers of the rooms that gave one. */
  private async each<T>(names: string[] | undefined, ask: (handle: RoomHandle) => Promise<T>): Promise<Map<string, T>> {
    const targets =
      names === undefined
        ? this.supervisor.openRooms()
        : names.map((n) => this.supervisor.get(n)).filter((h) => h !== undefined);
    const results = await Promise.allSettled(targets.map(ask));
    const out = new Map<string, T>();
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') out.set(targets[i]!.name, r.value);
    });
    return out;
  }
}
