/**
 * Owns every room worker: creates rooms (from a small pool of pre-booted idle
 * workers, so a create does not wait for a thread to boot), checks that each room
 * still answers, and cleans up after one that dies or hangs: its slot and port are
 * freed, the death is logged with the room's name and cause, and nothing else is
 * touched. A worker that fails while booting is not replaced at once (a broken
 * build would otherwise spin); the next create boots one on demand.
 */
import { EventEmitter } from 'node:events';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RecordBatch, RoomRestore, RoomStats } from '../protocol/room-messages.js';
import { PortAllocator } from './port-allocator.js';
import { RoomHandle, RoomRequestError } from './room-handle.js';

export class NoSlotError extends Error {
  override readonly name = 'NoSlotError';
}

export interface CreateResult {
  created: boolean;
  port: number;
}

export interface SupervisorEvents {
  roomOpened: [name: string, port: number];
  roomClosed: [name: string, reason: string];
  viewers: [name: string, viewers: number];
  records: [name: string, batch: RecordBatch];
}

/** How long an ordinary request to a room may take before it counts as unanswered. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Longer than a room's own grace for clients that never answer its close (5 s). */
const CLOSE_TIMEOUT_MS = 8_000;
/** How many ports to try when other processes hold some of the range. */
const MAX_PORT_ATTEMPTS = 10;

/** Worker deaths and replacements since the server started, for the metrics. */
export interface WorkerCounts {
  /** Unplanned ends, by cause: a room's worker died or hung, or an idle worker died. */
  crashes: { died: number; hung: number; idle: number };
  /** Rooms opened again after their worker crashed. */
  restarts: number;
  /** Every worker thread started (rooms and the idle pool). */
  started: number;
}

/** How many crashed room names are remembered to count their restart; the oldest is forgotten first. */
const CRASHED_NAMES_KEPT = 1_000;

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly workerCounts: WorkerCounts = { crashes: { died: 0, hung: 0, idle: 0 }, restarts: 0, started: 0 };
  /** Rooms whose worker crashed and that have not been opened again (insertion-ordered, bounded). */
  private readonly crashed = new Set<string>();
  /** Rooms open or opening, by name; its size is the slots in use. */
  private readonly rooms = new Map<string, RoomHandle>();
  private readonly opening = new Map<string, Promise<CreateResult>>();
  private readonly closing = new Map<string, Promise<void>>();
  private readonly pinging = new WeakSet<RoomHandle>();
  private readonly warm = new Set<RoomHandle>();
  private readonly ports: PortAllocator;
  private readonly livenessTimer: NodeJS.Timeout;
  private readonly log: Logger;
  private stopping = false;
  /** What a room continues from when (re-)created; the data layer sets it (src/master/data-layer.ts). */
  roomState: (name: string) => Promise<RoomRestore | undefined> = async () => undefined;

  constructor(
    private readonly config: Config,
    logger: Logger,
    private readonly workerFile: URL,
  ) {
    super();
    this.log = logger.child({ component: 'supervisor' });
    this.ports = new PortAllocator(config.roomPortMin, config.roomPortMax);
    this.livenessTimer = setInterval(() => this.checkLiveness(), config.roomLivenessIntervalMs);
    this.livenessTimer.unref();
    this.fillWarmPool();
  }

  get slots(): number {
    return this.config.maxRooms;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  names(): string[] {
    return [...this.rooms.values()].filter((h) => h.port !== 0).map((h) => h.name);
  }

  /** An open room (not one still opening). */
  get(name: string): RoomHandle | undefined {
    const handle = this.rooms.get(name);
    return handle !== undefined && handle.port !== 0 ? handle : undefined;
  }

  openRooms(): RoomHandle[] {
    return [...this.rooms.values()].filter((h) => h.port !== 0);
  }

  /**
   * Creates a room, or answers the port of the existing one. Concurrent creates of
   * one name share one attempt, so every caller gets the same port.
   */
  create(name: string): Promise<CreateResult> {
    const existing = this.get(name);
    if (existing) return Promise.resolve({ created: false, port: existing.port });
    const inFlight = this.opening.get(name);
    if (inFlight) return inFlight.then((r) => ({ created: false, port: r.port }));
    // A room of this name still closing: its last records and its closed event
    // must come before a new room of the same name opens.
    const closing = this.closing.get(name);
    if (closing) return closing.then(() => this.create(name));
    if (this.stopping || this.rooms.size >= this.config.maxRooms)
      return Promise.reject(new NoSlotError('No more rooms can be created'));
    const attempt = this.open(name).finally(() => this.opening.delete(name));
    this.opening.set(name, attempt);
    return attempt;
  }

  private async open(name: string): Promise<CreateResult> {
    const handle = this.takeWarm() ?? this.spawn();
    // Reserve the slot before any await, so concurrent creates count it.
    this.rooms.set(name, handle);
    try {
      await handle.booted;
      const restore = await this.roomState(name);
      const port = await this.listenOnFreePort(handle, name, restore);
      handle.bind(name, port);
      if (this.crashed.delete(name)) this.workerCounts.restarts += 1;
      this.log.info('Room opened', { room: name, port });
      this.emit('roomOpened', name, port);
      return { created: true, port };
    } catch (error) {
      if (this.rooms.get(name) === handle) this.rooms.delete(name);
      await handle.terminate('failed to open');
      this.log.error('Room failed to open', { room: name, error: (error as Error).message });
      throw error;
    } finally {
      this.fillWarmPool();
    }
  }

  private async listenOnFreePort(handle: RoomHandle, name: string, restore?: RoomRestore): Promise<number> {
    for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
      const port = this.ports.take();
      if (port === null) break;
      try {
        const grants = { ids: { through: Number.MAX_SAFE_INTEGER }, writable: { writable: true, retryAfterMs: 0 } };
        const args = restore === undefined ? { name, port, ...grants } : { name, port, restore, ...grants };
        const opened = await handle.request('open', args, this.config.roomBootTimeoutMs);
        return opened.port;
      } catch (error) {
        this.ports.release(port);
        // Another process holds this port: try the next one.
        if (error instanceof RoomRequestError && (error.code === 'EADDRINUSE' || error.code === 'EACCES')) {
          this.log.warn('Room port unavailable, trying the next', { room: name, port, code: error.code });
          continue;
        }
        throw error;
      }
    }
    throw new NoSlotError(`No free port in ${this.config.roomPortMin}..${this.config.roomPortMax}`);
  }

  private spawn(): RoomHandle {
    this.workerCounts.started += 1;
    return new RoomHandle({
      workerFile: this.workerFile,
      workerData: { access: this.config.access, limits: this.config.limits },
      maxHeapMb: this.config.roomMaxHeapMb,
      youngGenMb: this.config.roomYoungGenMb,
      bootTimeoutMs: this.config.roomBootTimeoutMs,
      logger: this.log.child({ component: 'room' }),
      onExit: (handle, cause) => this.onExit(handle, cause),
      onViewers: (handle, viewers) => {
        if (handle.name) this.emit('viewers', handle.name, viewers);
      },
      onRecords: (name, batch) => this.emit('records', name, batch),
    });
  }

  private takeWarm(): RoomHandle | undefined {
    const first = this.warm.values().next().value;
    if (first !== undefined) this.warm.delete(first);
    return first;
  }

  /** Keeps up to ROOM_WARM_WORKERS idle workers booted while free slots remain. */
  private fillWarmPool(): void {
    const wanted = Math.min(this.config.warmWorkers, this.config.maxRooms - this.rooms.size);
    while (!this.stopping && this.warm.size < wanted) {
      const handle = this.spawn();
      this.warm.add(handle);
      handle.booted.catch((error: Error) => {
        this.log.error('Idle room worker failed to boot; not replacing it until the next create', {
          error: error.message,
        });
      });
    }
  }

  private onExit(handle: RoomHandle, cause: string): void {
    if (this.warm.delete(handle)) {
      // An idle worker; fillWarmPool replaces it on the next create.
      if (!this.stopping) this.workerCounts.crashes.idle += 1;
      return;
    }
    for (const [name, h] of this.rooms) {
      if (h !== handle) continue;
      this.rooms.delete(name);
      if (handle.port !== 0) this.ports.release(handle.port);
      const crashed = !this.stopping && handle.port !== 0;
      if (crashed) {
        this.log.error('Room worker died; room cleaned up', { room: name, port: handle.port, cause });
        if (cause.startsWith('hung')) this.workerCounts.crashes.hung += 1;
        else this.workerCounts.crashes.died += 1;
        this.crashed.add(name);
        if (this.crashed.size > CRASHED_NAMES_KEPT) this.crashed.delete(this.crashed.values().next().value!);
      }
      if (handle.port !== 0) this.emit('roomClosed', name, this.stopping ? 'server stopping' : `died: ${cause}`);
      this.fillWarmPool();
      return;
    }
  }

  /** A room that does not answer a ping within the deadline is hung: terminate it. */
  private checkLiveness(): void {
    for (const handle of this.openRooms()) {
      // One ping at a time per room: a hung room is judged (and terminated) once.
      if (this.pinging.has(handle)) continue;
      this.pinging.add(handle);
      handle.request('ping', {}, this.config.roomLivenessTimeoutMs).then(
        () => this.pinging.delete(handle),
        (error: Error) => {
          this.pinging.delete(handle);
          if (handle.exited) return;
          this.log.error('Room stopped answering; terminating it', { room: handle.name, error: error.message });
          void handle.terminate(`hung: no answer within ${this.config.roomLivenessTimeoutMs} ms`);
        },
      );
    }
  }

  async stats(handle: RoomHandle): Promise<RoomStats> {
    return handle.request('stats', {}, REQUEST_TIMEOUT_MS);
  }

  /** Closes one room: clients get 1001, then the worker stops. False if no such room. */
  async closeRoom(name: string, reason: string, timeoutMs = CLOSE_TIMEOUT_MS): Promise<boolean> {
    const handle = this.get(name);
    if (handle === undefined) return false;
    const done = this.finishClose(handle, name, reason, timeoutMs).finally(() => this.closing.delete(name));
    this.closing.set(name, done);
    await done;
    return true;
  }

  private async finishClose(handle: RoomHandle, name: string, reason: string, timeoutMs: number): Promise<void> {
    this.rooms.delete(name);
    this.ports.release(handle.port);
    this.log.info('Room closing', { room: name, reason });
    try {
      await handle.request('close', { reason }, timeoutMs);
    } catch (error) {
      this.log.warn('Room did not close cleanly; terminating it', { room: name, error: (error as Error).message });
    }
    await handle.terminate(reason);
    this.emit('roomClosed', name, reason);
    this.fillWarmPool();
  }

  /** Sends to each named (or every) open room; resolves with the rooms that took it. */
  async each<T>(names: string[] | undefined, fn: (handle: RoomHandle) => Promise<T>): Promise<Map<string, T>> {
    const targets =
      names === undefined ? this.openRooms() : names.map((n) => this.get(n)).filter((h) => h !== undefined);
    const results = await Promise.allSettled(targets.map(fn));
    const out = new Map<string, T>();
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') out.set(targets[i]!.name, r.value);
    });
    return out;
  }

  /** Stops every room and idle worker within `deadlineMs`; idempotent. */
  async stop(reason: string, deadlineMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.livenessTimer);
    const rooms = [...this.rooms.values()];
    await Promise.allSettled(rooms.filter((h) => h.port !== 0).map((h) => h.request('close', { reason }, deadlineMs)));
    const all = [...rooms, ...this.warm];
    this.warm.clear();
    await Promise.allSettled(all.map((h) => h.terminate(reason)));
  }
}
