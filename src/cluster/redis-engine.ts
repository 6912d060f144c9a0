/**
 * The cluster engine: one room shared by every server that has a copy of it,
 * through the room's Redis stream (docs/cluster.md).
 *
 * - Order: a post is one Lua step (scripts.ts) that checks the shared limits,
 *   takes the next id and appends the message to the stream; acts and controls
 *   are appended as they are. Every copy, the origin's included, applies what it
 *   reads from the stream in stream order, so every viewer everywhere sees the
 *   same ids in the same order. Redis's work per message is one append plus one
 *   read per copy: it grows with the number of copies, never with viewers.
 * - Durability: every copy hands every entry it reads to its master's store
 *   writer (messages by id, acts by their log key, so the store keeps one of
 *   each); the origin's ack waits, as on one server, until its own master has
 *   stored the message. A copy killed before storing leaves its part to the others.
 * - Ids: only from blocks the store reserved for one grant (Store.reserveBlock),
 *   each handed to the room's counter once, so an id is never given twice, even
 *   when Redis comes back empty (a new epoch then starts above every block).
 * - Redis down: posts and acts are refused UNAVAILABLE at once; what this copy
 *   holds stays readable; the reader resumes from its last entry when Redis is back.
 *
 * The stream itself is read and appended by room-log.ts, the counter kept supplied
 * by room-counter.ts; here is what an entry means for the room and what a post or
 * an act is told.
 */
import type { ChatMessage } from '../protocol/frames.js';
import { chatMessage } from '../protocol/message-extras.js';
import type { ClusterSettings, IdGrant, ModerationRecord, Writable } from '../protocol/room-messages.js';
import type {
  Availability,
  Control,
  Engine,
  EngineHandlers,
  EngineRefusal,
  MessageDraft,
  PostLimits,
  PostOrigin,
  UsersList,
} from '../room/engine.js';
import type { RecordSink } from '../room/local-engine.js';
import { StoreGate } from '../room/store-gate.js';
import { type RoomKeys, roomKeys } from './keys.js';
import { HEARTBEAT_MS, OtherCopies } from './other-copies.js';
import {
  CLUSTER_RETRY_MS,
  connectInBackground,
  pause,
  type RedisConnection,
  redisConnection,
  runScript,
  UNREACHABLE,
} from './redis-connection.js';
import { RoomCounter } from './room-counter.js';
import { type EntryFields, RoomLog, SOCKET_TIMEOUT_MS } from './room-log.js';
import { PUBLISH, publishCall } from './scripts.js';
import { RATE_LIMITED_MESSAGE, slowModeMessage } from '../room/message-policy.js';

export { CLUSTER_RETRY_MS } from './redis-connection.js';

/** How long open() waits for Redis and the room's counter before the copy opens anyway. */
const OPEN_WAIT_MS = 3_000;

type Log = (level: 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;

export interface RedisEngineOptions {
  room: string;
  cluster: ClusterSettings;
  sink: RecordSink;
  writable: Writable;
  /** The highest message id this copy starts from (the store's window). */
  lastId: number;
  /** How many log entries a new copy reads back when it opens. */
  backlog: number;
  /** Asks the master for a fresh block of ids (answered with grantIds). */
  requestIds(): void;
  log: Log;
}

export class RedisEngine implements Engine {
  readonly sharedLimits = true;
  private readonly keys: RoomKeys;
  private readonly cmd: RedisConnection;
  private readonly reader: RedisConnection;
  private handlers: EngineHandlers | null = null;
  private readonly store: StoreGate;
  /** Posts of this copy handed to Redis and not yet read back, by origin tag. */
  private readonly pending = new Map<string, PostOrigin>();
  private posts = 0;
  private epoch: string | null = null;
  private highestId: number;
  private readonly roomLog: RoomLog;
  private readonly counter: RoomCounter;
  private readonly copies: OtherCopies;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastErrorLog = 0;

  constructor(private readonly options: RedisEngineOptions) {
    this.keys = roomKeys(options.room);
    this.store = new StoreGate(options.writable, (through) => this.on.durable(through));
    this.highestId = options.lastId;
    const onError = (error: Error) => this.connectionError(error);
    this.cmd = redisConnection(options.cluster.redisUrl, onError, SOCKET_TIMEOUT_MS);
    this.reader = redisConnection(options.cluster.redisUrl, onError, SOCKET_TIMEOUT_MS);
    this.copies = new OtherCopies(this.cmd, this.keys, options.cluster.copyId);
    this.counter = new RoomCounter({ cmd: this.cmd, meta: this.keys.meta, requestIds: options.requestIds, onError });
    this.roomLog = new RoomLog({
      keys: this.keys,
      cmd: this.cmd,
      reader: this.reader,
      copyId: options.cluster.copyId,
      backlog: options.backlog,
      listener: {
        counter: (ready, epoch) => {
          this.counter.ready = ready;
          if (epoch !== null) this.epoch = epoch;
        },
        entry: (entryId, fields, replay) => this.take(entryId, fields, replay),
        error: onError,
      },
    });
  }

  start(handlers: EngineHandlers): void {
    this.handlers = handlers;
  }

  private get on(): EngineHandlers {
    if (this.handlers === null) throw new Error('The engine was not started');
    return this.handlers;
  }

  /**
   * Connects, reads the room's backlog into this copy and makes sure the room's
   * counter has ids, waiting at most OPEN_WAIT_MS: a copy opened while Redis is
   * down opens anyway (refusing posts) and catches up once Redis answers.
   */
  async open(): Promise<void> {
    connectInBackground(this.cmd);
    connectInBackground(this.reader);
    const deadline = Date.now() + OPEN_WAIT_MS;
    while (!this.stopped && Date.now() < deadline && !(this.cmd.isReady && this.reader.isReady)) await pause(20);
    if (this.cmd.isReady && this.reader.isReady) {
      await this.roomLog.catchUp().catch((error: unknown) => this.connectionError(error as Error));
      if (!this.counter.ready) this.counter.ask(true);
      while (!this.stopped && Date.now() < deadline && !this.counter.ready) await pause(20);
    }
    this.roomLog.startReading();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  available(): Availability {
    const refusal = this.store.refusal();
    if (refusal !== null) return refusal;
    if (!this.cmd.isReady) return { ok: false, message: UNREACHABLE, retryAfterMs: CLUSTER_RETRY_MS };
    return { ok: true };
  }

  publish(draft: MessageDraft, origin: PostOrigin, limits: PostLimits): void {
    const tag = `${this.options.cluster.copyId}:${++this.posts}`;
    this.pending.set(tag, origin);
    const { keys, args } = publishCall(this.keys, this.options.room, draft, tag, limits);
    this.script(PUBLISH, keys, args).then(
      (reply) => {
        const [status, value, low] = reply as [string, number, number?];
        if (status === 'OK') {
          if (low === 1) this.counter.ask(false);
          return;
        }
        this.pending.delete(tag);
        if (status === 'SLOW_MODE')
          this.refuse(origin, 'SLOW_MODE', slowModeMessage(Math.round(limits.slowMs / 1000)), value);
        else if (status === 'RATE_LIMITED') this.refuse(origin, 'RATE_LIMITED', RATE_LIMITED_MESSAGE, value);
        else {
          this.counter.ready = false;
          this.counter.ask(true);
          this.refuse(origin, 'UNAVAILABLE', 'The room is waiting for more message ids', CLUSTER_RETRY_MS);
        }
      },
      (error: unknown) => {
        // A post that timed out may still be in the log: it is then delivered, without an ack.
        this.pending.delete(tag);
        this.connectionError(error as Error);
        this.refuse(origin, 'UNAVAILABLE', UNREACHABLE, CLUSTER_RETRY_MS);
      },
    );
  }

  act(record: ModerationRecord, origin?: PostOrigin): void {
    this.roomLog.append('a', JSON.stringify(record)).catch((error: unknown) => {
      this.connectionError(error as Error);
      if (origin !== undefined) this.refuse(origin, 'UNAVAILABLE', UNREACHABLE, CLUSTER_RETRY_MS);
    });
  }

  /** To every copy; while Redis is unreachable, to this copy only (an announcement is not kept for later). */
  announce(control: Control): void {
    this.roomLog.append('c', JSON.stringify(control)).catch((error: unknown) => {
      this.connectionError(error as Error);
      this.on.control(control);
    });
  }

  viewersElsewhere(): number {
    return this.copies.viewers;
  }

  usersElsewhere(): UsersList {
    return this.copies.users;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    await this.roomLog.stop();
    if (this.cmd.isReady) await this.copies.leave().catch(() => undefined);
    for (const connection of [this.reader, this.cmd])
      try {
        connection.destroy();
      } catch {
        // never connected: nothing to close
      }
    await this.roomLog.finished();
  }

  // ── the master's notices ──────────────────────────────────────────────────────
  /** A fresh block for the room's counter (a grant without `from` is the single server's: ignored). */
  grantIds(ids: IdGrant): void {
    this.counter.grant(ids, this.highestId);
  }

  setWritable(writable: Writable): void {
    this.store.setWritable(writable);
  }

  committed(through: number): void {
    this.store.committed(through);
  }

  // ── the room's log entries, in stream order ───────────────────────────────────
  private take(entryId: string, f: EntryFields, replay: boolean): void {
    try {
      if (f.t === 'm') this.takeMessage(f);
      else if (f.t === 'a') {
        const record = JSON.parse(f.d ?? '') as ModerationRecord;
        record.key = entryId;
        this.on.act(record, this.options.sink.add({ kind: 'moderation', ...record }));
      } else if (f.t === 'c' && !replay) this.on.control(JSON.parse(f.d ?? '') as Control);
    } catch (error) {
      this.options.log('warn', 'A cluster log entry could not be read', { entry: entryId, error: String(error) });
    }
  }

  private takeMessage(f: EntryFields): void {
    const id = Number(f.i);
    const origin = f.o === undefined ? undefined : this.pending.get(f.o);
    if (origin !== undefined) this.pending.delete(f.o!);
    const epoch = f.e ?? null;
    if (epoch !== this.epoch) {
      if (this.epoch !== null) {
        this.options.log('warn', 'The room’s shared log started again (Redis came back empty)', { nextId: id });
        this.on.lost(id);
      }
      this.epoch = epoch;
    }
    if (id <= this.highestId && origin === undefined) {
      // Already here (restored from the store, or read before): the store has or will have it.
      return;
    }
    this.highestId = Math.max(this.highestId, id);
    const draft = JSON.parse(f.d ?? '') as MessageDraft;
    const message: ChatMessage = chatMessage({ id, ...draft });
    this.on.message(message, this.options.sink.add({ kind: 'message', message }), origin);
  }

  // ── Redis commands ────────────────────────────────────────────────────────────
  /** EVALSHA, loading the script on first use (or after Redis restarted and forgot it). */
  private script(source: string, keys: string[], args: string[]): Promise<unknown> {
    if (!this.cmd.isReady) return Promise.reject(new Error(UNREACHABLE));
    return runScript(this.cmd, source, keys, args);
  }

  /** Tells the other copies this copy's viewers and sums theirs. */
  private async beat(): Promise<void> {
    if (!this.cmd.isReady || this.stopped) return;
    try {
      if (await this.copies.beat(this.on.viewersHere(), this.on.usersHere())) this.on.elsewhere();
      // While the counter has no ids (a new room, or Redis came back empty), keep asking.
      if (!this.counter.ready) this.counter.ask(false);
    } catch (error) {
      this.connectionError(error as Error);
    }
  }

  private refuse(origin: PostOrigin, code: EngineRefusal['code'], message: string, retryAfterMs: number): void {
    this.on.refused(origin, { code, message, retryAfterMs });
  }

  /** Logged at most every few seconds: a Redis that is down fails every attempt. */
  private connectionError(error: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5_000 || this.stopped) return;
    this.lastErrorLog = now;
    this.options.log('warn', 'Redis is unreachable for this room', { room: this.options.room, error: error.message });
  }
}
