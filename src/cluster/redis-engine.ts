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
 */
import { randomUUID } from 'node:crypto';
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
import { LOG_MAX_ENTRIES, rateKey, ROOM_KEYS_TTL_MS, type RoomKeys, roomKeys, slowKey } from './keys.js';
import { HEARTBEAT_MS, OtherCopies } from './other-copies.js';
import {
  connectInBackground,
  pause,
  type RedisConnection,
  redisConnection,
  runScript,
  withTimeout,
} from './redis-connection.js';
import { GRANT, PUBLISH } from './scripts.js';
import { RATE_LIMITED_MESSAGE, slowModeMessage } from '../room/message-policy.js';

/** XREAD blocks this long per call; the socket timeout catches a Redis that stopped answering. */
const READ_BLOCK_MS = 2_000;
const SOCKET_TIMEOUT_MS = READ_BLOCK_MS + 3_000;
const READ_COUNT = 1_000;
/** How long a sender waits before trying again while Redis is unreachable or ids are being reserved. */
export const CLUSTER_RETRY_MS = 1_000;
/** The counter asks for the next block when fewer ids than this are left and no spare is held. */
const LOW_IDS = 500;
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

/** One stream entry as XREAD / XRANGE answer it: [id, [field, value, …]]. */
type RawEntry = [string, string[]];

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
  /** The last stream entry read (null: read the backlog first). */
  private cursor: string | null = null;
  private epoch: string | null = null;
  private highestId: number;
  private counterReady = false;
  private idsAskedAt = 0;
  private readonly copies: OtherCopies;
  private heartbeat: NodeJS.Timeout | undefined;
  private reading: Promise<void> | null = null;
  private stopped = false;
  private lastErrorLog = 0;
  private readonly appending = new Set<Promise<void>>();

  constructor(private readonly options: RedisEngineOptions) {
    this.keys = roomKeys(options.room);
    this.store = new StoreGate(options.writable, (through) => this.on.durable(through));
    this.highestId = options.lastId;
    const onError = (error: Error) => this.connectionError(error);
    this.cmd = redisConnection(options.cluster.redisUrl, onError, SOCKET_TIMEOUT_MS);
    this.reader = redisConnection(options.cluster.redisUrl, onError, SOCKET_TIMEOUT_MS);
    this.copies = new OtherCopies(this.cmd, this.keys, options.cluster.copyId);
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
      await this.catchUp().catch((error: unknown) => this.connectionError(error as Error));
      if (!this.counterReady) this.askForIds(true);
      while (!this.stopped && Date.now() < deadline && !this.counterReady) await pause(20);
    }
    this.reading = this.readLoop();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  available(): Availability {
    const refusal = this.store.refusal();
    if (refusal !== null) return refusal;
    if (!this.cmd.isReady) return { ok: false, message: unreachable, retryAfterMs: CLUSTER_RETRY_MS };
    return { ok: true };
  }

  publish(draft: MessageDraft, origin: PostOrigin, limits: PostLimits): void {
    const tag = `${this.options.cluster.copyId}:${++this.posts}`;
    this.pending.set(tag, origin);
    const room = this.options.room;
    const user = draft.user.id;
    const keys = [this.keys.meta, this.keys.log, rateKey(room, user), slowKey(room, user)];
    const args = [
      JSON.stringify(draft),
      tag,
      String(limits.messages),
      String(limits.windowMs),
      String(limits.slowMs),
      String(LOG_MAX_ENTRIES),
      String(ROOM_KEYS_TTL_MS),
      String(LOW_IDS),
    ];
    this.script(PUBLISH, keys, args).then(
      (reply) => {
        const [status, value, low] = reply as [string, number, number?];
        if (status === 'OK') {
          if (low === 1) this.askForIds(false);
          return;
        }
        this.pending.delete(tag);
        if (status === 'SLOW_MODE')
          this.refuse(origin, 'SLOW_MODE', slowModeMessage(Math.round(limits.slowMs / 1000)), value);
        else if (status === 'RATE_LIMITED') this.refuse(origin, 'RATE_LIMITED', RATE_LIMITED_MESSAGE, value);
        else {
          this.counterReady = false;
          this.askForIds(true);
          this.refuse(origin, 'UNAVAILABLE', 'The room is waiting for more message ids', CLUSTER_RETRY_MS);
        }
      },
      (error: unknown) => {
        // A post that timed out may still be in the log: it is then delivered, without an ack.
        this.pending.delete(tag);
        this.connectionError(error as Error);
        this.refuse(origin, 'UNAVAILABLE', unreachable, CLUSTER_RETRY_MS);
      },
    );
  }

  act(record: ModerationRecord, origin?: PostOrigin): void {
    this.append('a', JSON.stringify(record)).catch((error: unknown) => {
      this.connectionError(error as Error);
      if (origin !== undefined) this.refuse(origin, 'UNAVAILABLE', unreachable, CLUSTER_RETRY_MS);
    });
  }

  /** To every copy; while Redis is unreachable, to this copy only (an announcement is not kept for later). */
  announce(control: Control): void {
    this.append('c', JSON.stringify(control)).catch((error: unknown) => {
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
    await Promise.allSettled([...this.appending]);
    if (this.cmd.isReady) await this.copies.leave().catch(() => undefined);
    for (const connection of [this.reader, this.cmd])
      try {
        connection.destroy();
      } catch {
        // never connected: nothing to close
      }
    await this.reading;
  }

  // ── the master's notices ──────────────────────────────────────────────────────
  /** A fresh block for the room's counter (a grant without `from` is the single server's: ignored). */
  grantIds(ids: IdGrant): void {
    if (ids.from === undefined || !this.cmd.isReady) return;
    const args = [
      String(ids.from),
      String(ids.through),
      String(this.highestId),
      randomUUID(),
      String(ROOM_KEYS_TTL_MS),
    ];
    this.script(GRANT, [this.keys.meta], args).then(
      (reply) => {
        const [status] = reply as [string, string];
        if (status === 'STALE') this.askForIds(true);
        else this.counterReady = true;
      },
      (error: unknown) => this.connectionError(error as Error),
    );
  }

  setWritable(writable: Writable): void {
    this.store.setWritable(writable);
  }

  committed(through: number): void {
    this.store.committed(through);
  }

  // ── reading the room's log ────────────────────────────────────────────────────
  private async readLoop(): Promise<void> {
    while (!this.stopped) {
      if (!this.reader.isReady) {
        await pause(50);
        continue;
      }
      try {
        if (this.cursor === null) {
          await this.catchUp();
          continue;
        }
        const reply = (await this.reader.sendCommand([
          'XREAD',
          'COUNT',
          String(READ_COUNT),
          'BLOCK',
          String(READ_BLOCK_MS),
          'STREAMS',
          this.keys.log,
          this.cursor,
        ])) as Array<[string, RawEntry[]]> | null;
        for (const entry of reply?.[0]?.[1] ?? []) this.take(entry, false);
      } catch (error) {
        if (this.stopped) return;
        this.connectionError(error as Error);
        await pause(50);
      }
    }
  }

  /** The room's recent entries when this copy has not read its log yet (just opened). */
  private async catchUp(): Promise<void> {
    const [meta, backlog] = (await Promise.all([
      this.cmd.sendCommand(['HMGET', this.keys.meta, 'last', 'epoch']),
      this.cmd.sendCommand(['XREVRANGE', this.keys.log, '+', '-', 'COUNT', String(this.options.backlog)]),
    ])) as unknown as [Array<string | null>, RawEntry[]];
    this.counterReady = meta[0] !== null;
    if (meta[1] !== null) this.epoch = meta[1] ?? null;
    // Replayed: messages this copy has not got, and acts (applying one twice changes nothing more); not controls.
    for (const entry of backlog.reverse()) this.take(entry, true);
    this.cursor ??= backlog.at(-1)?.[0] ?? '0-0';
  }

  private take([entryId, fields]: RawEntry, replay: boolean): void {
    this.cursor = entryId;
    const f = fieldsOf(fields);
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

  private takeMessage(f: Record<string, string>): void {
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
  private append(type: 'a' | 'c', data: string): Promise<void> {
    const appending = this.appendNow(type, data);
    // stop() waits for these: a room's last act or its close announcement is not cut off.
    this.appending.add(appending);
    void appending.finally(() => this.appending.delete(appending)).catch(() => undefined);
    return appending;
  }

  private async appendNow(type: 'a' | 'c', data: string): Promise<void> {
    if (!this.cmd.isReady) throw new Error(unreachable);
    const tag = this.options.cluster.copyId;
    await withTimeout(
      Promise.all([
        this.cmd.sendCommand([
          'XADD',
          this.keys.log,
          'MAXLEN',
          '~',
          String(LOG_MAX_ENTRIES),
          '*',
          't',
          type,
          'd',
          data,
          'o',
          tag,
        ]),
        this.cmd.sendCommand(['PEXPIRE', this.keys.log, String(ROOM_KEYS_TTL_MS)]),
      ]),
    );
  }

  /** EVALSHA, loading the script on first use (or after Redis restarted and forgot it). */
  private script(source: string, keys: string[], args: string[]): Promise<unknown> {
    if (!this.cmd.isReady) return Promise.reject(new Error(unreachable));
    return runScript(this.cmd, source, keys, args);
  }

  private askForIds(now: boolean): void {
    const at = Date.now();
    if (!now && at - this.idsAskedAt < CLUSTER_RETRY_MS) return;
    if (at - this.idsAskedAt < 200) return;
    this.idsAskedAt = at;
    this.options.requestIds();
  }

  /** Tells the other copies this copy's viewers and sums theirs. */
  private async beat(): Promise<void> {
    if (!this.cmd.isReady || this.stopped) return;
    try {
      if (await this.copies.beat(this.on.viewersHere(), this.on.usersHere())) this.on.elsewhere();
      // While the counter has no ids (a new room, or Redis came back empty), keep asking.
      if (!this.counterReady) this.askForIds(false);
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

const unreachable = 'The chat cluster is unreachable right now; try again shortly';

function fieldsOf(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}
