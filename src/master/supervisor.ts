/**
 * Runs the room workers and nothing else: creates rooms (from a small pool of
 * pre-booted idle workers, so a create does not wait for a thread to boot),
 * checks that each room still answers, and cleans up after one that dies or
 * hangs: its slot and port are freed, the death is logged with the room's name
 * and cause, and nothing else is touched. A worker that fails while booting is
 * not replaced at once (a broken build would otherwise spin); the next create
 * boots one on demand.
 *
 * What a room continues from, what it records and when it opens or closes go to
 * the RoomReports it is given (src/master/rooms.ts): the supervisor knows nothing
 * of the store, the balancers or HTTP. Building one starts nothing; `start()`
 * fills the warm pool and starts the liveness checks.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ExtrasFromRoom, IdGrant, RecordBatch, RoomRestore, Writable } from '../protocol/room-messages.js';
import { ConnectionBudget } from '../room/connection-budget.js';
import { PortAllocator } from './port-allocator.js';
import { RoomHandle, RoomRequestError } from './room-handle.js';
import { DescriptorsExhaustedError, isDescriptorShortage, NoSlotError } from './slot-errors.js';

export { NoSlotError } from './slot-errors.js';

export interface CreateResult {
  created: boolean;
  port: number;
}

/** What the supervisor asks of, and tells, the rest of the master about its rooms. */
export interface RoomReports {
  /** What a (re-)created room continues from. */
  restore(name: string): Promise<RoomRestore>;
  /** What a room is given at open: ids it may hand out, and whether it may accept messages. */
  grants(name: string): { ids: IdGrant; writable: Writable };
  opened(name: string, port: number): void;
  closed(name: string, reason: string): void;
  viewers(name: string, viewers: number): void;
  records(name: string, batch: RecordBatch): void;
  /** Cluster mode: a fresh block of ids for the room's shared counter (undefined: the store did not answer). */
  needIds(name: string): Promise<IdGrant | undefined>;
  /** Cluster mode: another copy announced that the room closes. */
  closing(name: string, reason: string): void;
  /** A room's pins and paid messages. */
  extras?(handle: RoomHandle, message: ExtrasFromRoom): void;
}

/** How long the supervisor's own requests may take (from the rooms service's table). */
export interface SupervisorTimeouts {
  open: number;
  ping: number;
  close: number;
}

export interface SupervisorOptions {
  config: Config;
  logger: Logger;
  workerFile: URL;
  reports: RoomReports;
  timeouts: SupervisorTimeouts;
}

/** A room copy's id: the host, the process and a random part, new for every worker (a replaced room is a new copy). */
function copyIdOf(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

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

type State = 'built' | 'running' | 'stopping';

export class Supervisor {
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
  /** The process-wide connection budget every room worker takes part in. */
  readonly budget: ConnectionBudget;
  private readonly budgetSlots = new Map<RoomHandle, number>();
  private readonly config: Config;
  /** Cluster mode: the Redis this server's room copies share (undefined: one server). */
  private readonly redisUrl: string | undefined;
  private readonly reports: RoomReports;
  private readonly timeouts: SupervisorTimeouts;
  private readonly log: Logger;
  private livenessTimer: NodeJS.Timeout | undefined;
  private state: State = 'built';

  constructor(private readonly options: SupervisorOptions) {
    this.config = options.config;
    this.redisUrl = options.config.redisUrl || undefined;
    this.reports = options.reports;
    this.timeouts = options.timeouts;
    this.log = options.logger.child({ component: 'supervisor' });
    this.ports = new PortAllocator(this.config.roomPortMin, this.config.roomPortMax);
    // A slot per live worker: rooms, idle ones, and ones still stopping after a close.
    const workers = this.config.maxRooms + this.config.warmWorkers;
    this.budget = new ConnectionBudget(this.config.connectionBudget.maxConnections, 4 * workers + 4);
  }

  /** Fills the warm pool and starts the liveness checks; idempotent. */
  start(): void {
    if (this.state !== 'built') return;
    this.state = 'running';
    const { maxConnections, fdLimit, reserve, source } = this.config.connectionBudget;
    this.log.info('Connection budget', { maxConnections, fdLimit, reserve, source });
    this.livenessTimer = setInterval(() => this.checkLiveness(), this.config.roomLivenessIntervalMs);
    this.livenessTimer.unref();
    this.fillWarmPool();
  }

  get slots(): number {
    return this.config.maxRooms;
  }

  /** Slots in use: rooms open or opening. */
  get roomCount(): number {
    return this.rooms.size;
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
    // A room of this name still closing: its last records and its closed report
    // must come before a new room of the same name opens.
    const closing = this.closing.get(name);
    if (closing) return closing.then(() => this.create(name));
    if (this.state !== 'running' || this.rooms.size >= this.config.maxRooms)
      return Promise.reject(new NoSlotError('No more rooms can be created'));
    const attempt = this.open(name).finally(() => this.opening.delete(name));
    this.opening.set(name, attempt);
    return attempt;
  }

  private async open(name: string): Promise<CreateResult> {
    let handle: RoomHandle;
    try {
      handle = this.takeWarm() ?? this.spawn();
    } catch (error) {
      throw this.noSlotFor(name, error);
    }
    // Reserve the slot before any await, so concurrent creates count it.
    this.rooms.set(name, handle);
    try {
      await handle.booted;
      const restore = await this.reports.restore(name);
      const port = await this.listenOnFreePort(handle, name, restore);
      handle.bind(name, port);
      if (this.crashed.delete(name)) this.workerCounts.restarts += 1;
      this.log.info('Room opened', { room: name, port });
      this.reports.opened(name, port);
      return { created: true, port };
    } catch (error) {
      if (this.rooms.get(name) === handle) this.rooms.delete(name);
      await handle.terminate('failed to open');
      this.log.error('Room failed to open', { room: name, error: (error as Error).message });
      throw this.noSlotFor(name, error);
    } finally {
      this.fillWarmPool();
    }
  }

  private async listenOnFreePort(handle: RoomHandle, name: string, restore: RoomRestore): Promise<number> {
    for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
      const port = this.ports.take();
      if (port === null) break;
      try {
        const args = { name, port, restore, ...this.reports.grants(name) };
        const opened = await handle.request('open', args, this.timeouts.open);
        return opened.port;
      } catch (error) {
        this.ports.release(port);
        if (error instanceof RoomRequestError && (error.code === 'EMFILE' || error.code === 'ENFILE')) throw error;
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

  /** A shortage of descriptors becomes "no slot" (503); any other error stays what it is. */
  private noSlotFor(name: string, error: unknown): unknown {
    if (error instanceof NoSlotError || !isDescriptorShortage(error)) return error;
    return new DescriptorsExhaustedError(`No file descriptor left to open room ${name}`, { cause: error });
  }

  private spawn(): RoomHandle {
    const { config } = this;
    const share = this.budget.lease();
    if (share === null) throw new NoSlotError('Every room worker slot is in use');
    this.workerCounts.started += 1;
    const handle = new RoomHandle({
      workerFile: this.options.workerFile,
      workerData: {
        access: config.access,
        limits: config.limits,
        budget: share,
        ...(this.redisUrl === undefined ? {} : { cluster: { redisUrl: this.redisUrl, copyId: copyIdOf() } }),
      },
      maxHeapMb: config.roomMaxHeapMb,
      youngGenMb: config.roomYoungGenMb,
      bootTimeoutMs: config.roomBootTimeoutMs,
      logger: this.log.child({ component: 'room' }),
      onExit: (handle, cause) => this.onExit(handle, cause),
      onViewers: (handle, viewers) => {
        if (handle.name) this.reports.viewers(handle.name, viewers);
      },
      onRecords: (name, batch) => this.reports.records(name, batch),
      // Asked while the room opens too (before it is listed): the answer goes to the worker that asked.
      onNeedIds: (handle, name) =>
        void this.reports.needIds(name).then((grant) => {
          if (grant !== undefined) handle.notify({ type: 'ids', ...grant });
        }),
      onClosing: (handle, reason) => {
        if (handle.name) this.reports.closing(handle.name, reason);
      },
      onExtras: (handle, message) => this.reports.extras?.(handle, message),
    });
    this.budgetSlots.set(handle, share.slot);
    try {
      return handle.start();
    } catch (error) {
      this.budgetSlots.delete(handle);
      this.budget.reclaim(share.slot);
      throw error;
    }
  }

  /** Whatever sockets a worker still held when it exited go back to the budget (a crash included). */
  private reclaimBudget(handle: RoomHandle): void {
    const slot = this.budgetSlots.get(handle);
    if (slot === undefined) return;
    this.budgetSlots.delete(handle);
    const held = this.budget.reclaim(slot);
    if (held > 0)
      this.log.info('Connections of an ended room worker returned to the budget', { room: handle.name, held });
  }

  private takeWarm(): RoomHandle | undefined {
    const first = this.warm.values().next().value;
    if (first !== undefined) this.warm.delete(first);
    return first;
  }

  /** Keeps up to ROOM_WARM_WORKERS idle workers booted while free slots remain. */
  private fillWarmPool(): void {
    const wanted = Math.min(this.config.warmWorkers, this.config.maxRooms - this.rooms.size);
    while (this.state === 'running' && this.warm.size < wanted) {
      let handle: RoomHandle;
      try {
        handle = this.spawn();
      } catch (error) {
        // No worker slot or no descriptor: the next create tries again.
        this.log.warn('Could not start an idle room worker', { error: (error as Error).message });
        return;
      }
      this.warm.add(handle);
      handle.booted.catch((error: Error) => {
        this.log.error('Idle room worker failed to boot; not replacing it until the next create', {
          error: error.message,
        });
      });
    }
  }

  private onExit(handle: RoomHandle, cause: string): void {
    this.reclaimBudget(handle);
    const stopping = this.state === 'stopping';
    if (this.warm.delete(handle)) {
      // An idle worker; fillWarmPool replaces it on the next create.
      if (!stopping) this.workerCounts.crashes.idle += 1;
      return;
    }
    for (const [name, h] of this.rooms) {
      if (h !== handle) continue;
      this.rooms.delete(name);
      if (handle.port !== 0) this.ports.release(handle.port);
      const crashed = !stopping && handle.port !== 0;
      if (crashed) {
        this.log.error('Room worker died; room cleaned up', { room: name, port: handle.port, cause });
        if (cause.startsWith('hung')) this.workerCounts.crashes.hung += 1;
        else this.workerCounts.crashes.died += 1;
        this.crashed.add(name);
        if (this.crashed.size > CRASHED_NAMES_KEPT) this.crashed.delete(this.crashed.values().next().value!);
      }
      if (handle.port !== 0) this.reports.closed(name, stopping ? 'server stopping' : `died: ${cause}`);
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
      handle.request('ping', {}, this.timeouts.ping).then(
        () => this.pinging.delete(handle),
        (error: Error) => {
          this.pinging.delete(handle);
          if (handle.exited) return;
          this.log.error('Room stopped answering; terminating it', { room: handle.name, error: error.message });
          void handle.terminate(`hung: no answer within ${this.timeouts.ping} ms`);
        },
      );
    }
  }

  /**
   * Closes one room: clients get 1001, then the worker stops. False if no such
   * room is open. A second close of a room already closing waits for the first.
   */
  async closeRoom(name: string, reason: string, everywhere = false): Promise<boolean> {
    const already = this.closing.get(name);
    if (already !== undefined) {
      await already;
      return false;
    }
    const handle = this.get(name);
    if (handle === undefined) return false;
    const done = this.finishClose(handle, name, reason, everywhere).finally(() => this.closing.delete(name));
    this.closing.set(name, done);
    await done;
    return true;
  }

  private async finishClose(handle: RoomHandle, name: string, reason: string, everywhere: boolean): Promise<void> {
    this.rooms.delete(name);
    this.ports.release(handle.port);
    this.log.info('Room closing', { room: name, reason });
    try {
      await handle.request('close', { reason, everywhere }, this.timeouts.close);
    } catch (error) {
      this.log.warn('Room did not close cleanly; terminating it', { room: name, error: (error as Error).message });
    }
    await handle.terminate(reason);
    this.reports.closed(name, reason);
    this.fillWarmPool();
  }

  /** Stops every room and idle worker within `deadlineMs`; idempotent. */
  async stop(reason: string, deadlineMs: number): Promise<void> {
    this.state = 'stopping';
    clearInterval(this.livenessTimer);
    this.livenessTimer = undefined;
    const rooms = [...this.rooms.values()];
    await Promise.allSettled(rooms.filter((h) => h.port !== 0).map((h) => h.request('close', { reason }, deadlineMs)));
    const all = [...rooms, ...this.warm];
    this.warm.clear();
    await Promise.allSettled(all.map((h) => h.terminate(reason)));
  }
}
