/**
 * The master's side of one room worker: boot handshake, request/response by id,
 * and death. Every pending request fails at once when the worker dies, so no
 * caller waits on a room that is gone. The handle never restarts its worker; the
 * supervisor decides what a death means.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';
import type {
  ExtrasFromRoom,
  FromRoom,
  RecordBatch,
  ReplyErrorCode,
  RoomNotice,
  RoomRequests,
  RoomRequestType,
  RoomWorkerData,
} from '../protocol/room-messages.js';

export class RoomRequestError extends Error {
  override readonly name = 'RoomRequestError';
  constructor(
    readonly code: ReplyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface RoomHandleOptions {
  workerFile: URL;
  workerData: RoomWorkerData;
  maxHeapMb: number;
  /** V8's young generation per room: small keeps an idle connection's memory small (docs/benchmarks.md). */
  youngGenMb: number;
  bootTimeoutMs: number;
  logger: Logger;
  /** The worker is gone; `cause` says why (thrown error, exit code, terminated). */
  onExit(handle: RoomHandle, cause: string): void;
  onViewers(handle: RoomHandle, viewers: number): void;
  /** What the room recorded for the store (src/master/transcript-writer.ts). */
  onRecords?(room: string, batch: RecordBatch): void;
  /** Cluster mode: the room's shared counter needs a fresh block of ids. */
  onNeedIds?(handle: RoomHandle, room: string): void;
  /** Cluster mode: another copy announced that the room closes. */
  onClosing?(handle: RoomHandle, reason: string): void;
  /** The room's pins and paid messages (src/master/rooms.ts answers a `debit` with a `debited` notice). */
  onExtras?(handle: RoomHandle, message: ExtrasFromRoom): void;
}

export class RoomHandle {
  /** Set once `open` succeeds. */
  name = '';
  port = 0;
  viewers = 0;
  exited = false;
  /** Resolves when the worker can take `open`; rejects if it dies or is too slow to boot. */
  readonly booted: Promise<void>;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private cause = '';
  private logger: Logger;

  /** Builds the handle; `start()` starts the worker thread. */
  constructor(private readonly options: RoomHandleOptions) {
    this.logger = options.logger;
    this.booted = new Promise<void>((resolve, reject) => {
      this.onBooted = resolve;
      this.onBootFailed = reject;
    });
    // Callers may never await `booted` (a warm worker that dies idle); that is not an unhandled rejection.
    this.booted.catch(() => undefined);
  }

  /** Starts the worker; `booted` settles once it says so, dies, or takes longer than the boot timeout. */
  start(): this {
    if (this.worker !== undefined) return this;
    const { options } = this;
    const worker = new Worker(options.workerFile, {
      workerData: options.workerData,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb, maxYoungGenerationSizeMb: options.youngGenMb },
      stdout: false,
      stderr: false,
    });
    this.worker = worker;
    const settle = { booted: this.onBooted, failed: this.onBootFailed };
    let bootSettled = false;
    const timer = setTimeout(() => {
      this.onBootFailed(new Error(`Room worker did not boot within ${options.bootTimeoutMs} ms`));
      void this.terminate('boot timeout');
    }, options.bootTimeoutMs);
    this.onBooted = () => {
      if (bootSettled) return;
      bootSettled = true;
      clearTimeout(timer);
      settle.booted();
    };
    this.onBootFailed = (error) => {
      if (bootSettled) return;
      bootSettled = true;
      clearTimeout(timer);
      settle.failed(error);
    };
    worker.on('message', (message: FromRoom) => this.receive(message));
    // An 'error' listener is what keeps a throwing room from taking the master down.
    worker.on('error', (error) => {
      this.cause = `threw: ${error.message}`;
    });
    worker.on('messageerror', (error) =>
      this.logger.warn('Unreadable message from room worker', { error: error.message }),
    );
    worker.on('exit', (code) => this.exit(code));
    return this;
  }

  private onBooted: () => void = () => undefined;
  private onBootFailed: (error: Error) => void = () => undefined;

  /** Sends a request; rejects on the room's error, on timeout, or when the worker dies. */
  request<K extends RoomRequestType>(
    type: K,
    args: RoomRequests[K]['args'],
    timeoutMs: number,
  ): Promise<RoomRequests[K]['result']> {
    const worker = this.worker;
    if (this.exited || worker === undefined)
      return Promise.reject(new RoomRequestError('ROOM_GONE', 'The room worker has exited or not started'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RoomRequestError('ROOM_TIMEOUT', `The room did not answer "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
      worker.postMessage({ type, id, ...args });
    });
  }

  /** A one-way notice (no reply); dropped if the worker has exited. */
  notify(notice: RoomNotice): void {
    if (!this.exited) this.worker?.postMessage(notice);
  }

  private receive(message: FromRoom): void {
    switch (message.type) {
      case 'booted':
        this.onBooted();
        return;
      case 'reply': {
        const pending = this.pending.get(message.id);
        if (pending === undefined) return; // answered after its timeout
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(new RoomRequestError(message.error.code, message.error.message));
        return;
      }
      case 'log':
        this.logger.log(message.level, message.message, message.meta ?? {});
        return;
      case 'viewers':
        this.viewers = message.viewers;
        this.options.onViewers(this, message.viewers);
        return;
      case 'records':
        this.options.onRecords?.(message.room, message.batch);
        return;
      case 'needIds':
        this.options.onNeedIds?.(this, message.room);
        return;
      case 'closing':
        this.options.onClosing?.(this, message.reason);
        return;
      case 'debit':
      case 'tipped':
      case 'pin':
        this.options.onExtras?.(this, message);
        return;
    }
  }

  /** Names the room on every later log line of this handle. */
  bind(name: string, port: number): void {
    this.name = name;
    this.port = port;
    this.logger = this.options.logger.child({ room: name });
  }

  /** Stops the worker at once; resolves when it has exited. Idempotent. */
  async terminate(cause: string): Promise<void> {
    if (this.exited || this.worker === undefined) return;
    if (!this.cause) this.cause = cause;
    await this.worker.terminate();
  }

  private exit(code: number): void {
    this.exited = true;
    const cause = this.cause || `exited with code ${code}`;
    const error = new RoomRequestError('ROOM_GONE', `The room worker ${cause}`);
    this.onBootFailed(error);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    this.options.onExit(this, cause);
  }
}
