/**
 * Every message between the master and a room worker, both directions.
 *
 * The master asks, the room answers: each request carries an `id` and is answered
 * by exactly one `reply` with that id (`ok` with the request's result, or an
 * error with a code from `replyErrorCodes`). The master also sends one-way
 * notices (RoomNotices: cache, committed, ids, writable). The room sends events
 * of its own (`log`, `viewers`, and numbered `records` for the store). A worker says `booted` once it can take an `open`; the master's
 * RoomHandle (src/master/room-handle.ts) is the only code that speaks this on the master side,
 * src/room/worker.ts the only one on the room side.
 */
import type { RoomAccess, RoomLimits } from '../config.js';
import type { LogLevel } from '../logger.js';
import type { BudgetShare } from '../room/connection-budget.js';
import type { StoredPin, TipRecord } from '../store/store.js';
import type { ChatMessage, Role, UserInfo, WelcomeSettings } from './frames.js';

/** Who reads a room's stats: an admin API call (the console, a script) or a metrics scrape. */
export type StatsReader = 'stats' | 'scrape';

/** Given to every worker at construction (`workerData`). */
export interface RoomWorkerData {
  access: RoomAccess;
  limits: RoomLimits;
  /** The process-wide connection budget (src/room/connection-budget.ts): a counter, no messages. */
  budget: BudgetShare;
  /** Cluster mode (REDIS_URL): the room is shared with other servers through Redis (docs/cluster.md). */
  cluster?: ClusterSettings;
}

export interface ClusterSettings {
  redisUrl: string;
  /** This server's copy of every room is known by this id (unique per process). */
  copyId: string;
}

export interface RoomStats {
  name: string;
  port: number;
  viewers: number;
  /** Distinct users with an identity (token or guest) currently joined. */
  chatters: number;
  messages: number;
  createdAt: string;
  heapUsedBytes: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** What the room enforces now, as its welcome frame says it. */
  settings: WelcomeSettings;
  /** Running totals since the worker started (src/room/counters.ts), for the metrics. */
  counters: RoomCounterValues;
}

export interface RoomCounterValues {
  accepted: number;
  /** By refusal code (FrameErrorCode): a fixed, small set. */
  refused: Partial<Record<string, number>>;
  deliveries: number;
  slowReaders: number;
  connections: number;
}

// ── stored data (src/master/data-layer.ts and what it owns) ──────────────────────
/**
 * The master's cached data one room applies: who may not join, which words are
 * refused. `through` is the sequence number of the last record of this room the
 * master had taken in when it built the list (see RecordBatch): a room re-applies
 * its own moderation acts after that over the list, so a list built before the
 * master saw a fresh ban never undoes it, even for a moment.
 */
export interface RoomCache {
  /** Users banned from this room or from every room. */
  bans: string[];
  terms: string[];
  through: number;
}

/** A message of the recovery window with its moderation marks. */
export interface RestoredMessage {
  message: ChatMessage;
  deleted: boolean;
  cleared: boolean;
}

/** What a (re-)created room continues from: its ids, recovery window, settings and the cache. */
export interface RoomRestore {
  /** The highest id the room may have given out before; the next message gets more than this. */
  lastId: number;
  /** Oldest first, at most RECOVERY_WINDOW. */
  window: RestoredMessage[];
  settings: { slow: number };
  cache: RoomCache;
  /** The pin in force when the room last had one (an expired one is dropped by the room). */
  pin?: StoredPin;
}

export type ModerationAction = 'delete' | 'timeout' | 'ban' | 'unban' | 'clear' | 'slow' | 'kick';

/** Who acted: a chat user, or the admin API (role `admin`). */
export interface Actor {
  id: string;
  name: string;
  role: Role | 'admin';
}

/**
 * One moderation act as it is logged: the same shape in the room's records, the
 * store's moderation log and the admin API. `messageId` is the deleted message for
 * `delete` and the last cleared one for `clear`; `seconds` the timeout or the
 * slow-mode interval.
 */
export interface ModerationRecord {
  action: ModerationAction;
  by: Actor;
  target: string | null;
  messageId: number | null;
  seconds: number | null;
  reason: string;
  at: number;
  /** Cluster mode: the act's entry in the room's shared log, so every copy may write it and the store keeps one. */
  key?: string;
}

/** What a room hands the master for the store, in the order it happened. */
export type ChatRecord = { kind: 'message'; message: ChatMessage } | ({ kind: 'moderation' } & ModerationRecord);

/**
 * Records of one room, numbered: the first has sequence number `firstSeq`, the
 * next firstSeq + 1, and so on, without gaps, for the life of the worker's room
 * (from 1). The master answers with `committed` once they are durable.
 */
export interface RecordBatch {
  firstSeq: number;
  records: ChatRecord[];
}

// ── master → room ─────────────────────────────────────────────────────────────
/** What each request takes and what its reply carries. */
export interface RoomRequests {
  /** `ids`: the room may give out message ids up to `ids.through` (reserved durably by the master). */
  open: {
    args: { name: string; port: number; restore?: RoomRestore; ids: IdGrant; writable: Writable };
    result: { port: number };
  };
  ping: { args: object; result: object };
  /**
   * `reader`: whose read this is. Event-loop delay is measured since that reader's
   * last read, so a console polling every few seconds does not shorten what a
   * metrics scrape sees, or the other way round.
   */
  stats: { args: { reader?: StatsReader }; result: RoomStats };
  broadcast: { args: { text: string; ts: number }; result: { delivered: number } };
  kick: { args: { user: string; reason: string }; result: { closed: number } };
  /** `everywhere`: an admin's shutdown of the room, announced to every copy in a cluster (else only this copy stops). */
  close: { args: { reason: string; everywhere?: boolean }; result: { closed: number } };
}
export type RoomRequestType = keyof RoomRequests;
export type RoomRequest = {
  [K in RoomRequestType]: { type: K; id: number } & RoomRequests[K]['args'];
}[RoomRequestType];

/**
 * More ids the room may give out: every id up to `through`. In cluster mode a
 * grant is a block reserved for this one grant, (from - 1, through], handed to
 * the room's shared counter once; a grant without `from` is the single server's.
 */
export interface IdGrant {
  through: number;
  from?: number;
}

/** Whether the room may accept messages now (false while the store cannot make them durable). */
export interface Writable {
  writable: boolean;
  /** While not writable: when a sender should try again. */
  retryAfterMs: number;
}

/**
 * One-way messages from the master (no id, no reply): the cache changed, records
 * became durable, more ids, the store's writability changed. They are frequent
 * (`committed` every few milliseconds in a busy room), so they carry no reply.
 */
export interface RoomNotices {
  cache: RoomCache;
  /** The credit service's answer to a room's `debit` (`request`: the debit's id; notices carry no `id`). */
  debited: DebitAnswer;
  /** Every record of this room up to sequence number `through` is durable. */
  committed: { through: number };
  ids: IdGrant;
  writable: Writable;
}
export type RoomNoticeType = keyof RoomNotices;
export type RoomNotice = {
  [K in RoomNoticeType]: { type: K } & RoomNotices[K];
}[RoomNoticeType];

export type ToRoom = RoomRequest | RoomNotice;

/** The worker's side: one handler per request, each typed by its result. */
export type RoomRequestHandlers = {
  [K in RoomRequestType]: (args: RoomRequests[K]['args']) => Promise<RoomRequests[K]['result']>;
};
export type RoomNoticeHandlers = {
  [K in RoomNoticeType]: (notice: RoomNotices[K]) => void;
};

// ── paid messages (the master calls the credit service for its rooms) ──────────
/** A room asks its master to debit a signed-in user for a paid message; answered by a `debited` notice. */
export interface DebitRequest {
  /** Unique among this room's open requests. */
  id: number;
  /** The idempotency key (from the user and the frame's ref): the same key is never debited twice. */
  key: string;
  room: string;
  user: Pick<UserInfo, 'id' | 'name'>;
  amount: number;
}

/**
 * What the credit service said: paid (2xx), insufficient (402), refused (another
 * 4xx, with its reason), unavailable (timeout, 5xx, open circuit, or this key
 * being paid right now) with when to try again, or duplicate: this key was paid
 * and shown before, as message `messageId`.
 */
export type DebitAnswer = { request: number } & (
  | { outcome: 'paid'; status: number }
  | { outcome: 'insufficient'; reason: string }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'unavailable'; reason: string; retryAfterMs: number }
  | { outcome: 'duplicate'; messageId: number }
);

/** A room's messages for its pins and paid messages, handled by the master's rooms service. */
export type ExtrasFromRoom =
  | { type: 'debit'; request: DebitRequest }
  /** A paid debit ended: shown as message `messageId`, or not shown (null) and free to be tried again. */
  | { type: 'tipped'; tip: TipRecord }
  /** The room's pin changed (null: unpinned), for the store. */
  | { type: 'pin'; room: string; pin: StoredPin | null };

// ── room → master ─────────────────────────────────────────────────────────────
/**
 * Why a request failed. Raised in the worker: EADDRINUSE / EACCES (the port is
 * taken or privileged: the master tries another), EMFILE / ENFILE (no file
 * descriptor left to listen with: the master answers "no slot"), NO_ROOM (the worker holds no
 * room yet), ALREADY_OPEN, ROOM_ERROR (anything else). Raised by the master's
 * handle: ROOM_TIMEOUT (no answer in time), ROOM_GONE (the worker exited).
 */
export const replyErrorCodes = [
  'EADDRINUSE',
  'EACCES',
  'EMFILE',
  'ENFILE',
  'NO_ROOM',
  'ALREADY_OPEN',
  'ROOM_ERROR',
  'ROOM_TIMEOUT',
  'ROOM_GONE',
] as const;
export type ReplyErrorCode = (typeof replyErrorCodes)[number];

export function isReplyErrorCode(code: unknown): code is ReplyErrorCode {
  return typeof code === 'string' && (replyErrorCodes as readonly string[]).includes(code);
}

export interface ReplyError {
  code: ReplyErrorCode;
  message: string;
}

export type Reply<K extends RoomRequestType = RoomRequestType> =
  | { type: 'reply'; id: number; ok: true; result: RoomRequests[K]['result'] }
  | { type: 'reply'; id: number; ok: false; error: ReplyError };

export type FromRoom =
  | { type: 'booted' }
  | Reply
  | { type: 'log'; level: LogLevel; message: string; meta?: Record<string, unknown> }
  | { type: 'viewers'; viewers: number }
  /** Cluster mode: the room's shared counter needs a fresh block of ids (answered with an `ids` notice with `from`). */
  | { type: 'needIds'; room: string }
  /** Cluster mode: another copy announced that the room closes; the master closes this copy. */
  | { type: 'closing'; reason: string }
  /** Posted once per event-loop pass; always before the reply to `close`. */
  | { type: 'records'; room: string; batch: RecordBatch }
  | ExtrasFromRoom;
