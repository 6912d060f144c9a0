/**
 * Every message between the master and a room worker, both directions.
 *
 * The master asks, the room answers: each request carries an `id` and is answered
 * by exactly one `reply` with that id (`ok` with the request's result, or an
 * error). The room also sends events of its own (`log`, `viewers`, and `records`
 * for the store). A worker says `booted` once it can take an `open`; the master's
 * RoomHandle (src/master/room-handle.ts) is the only code that speaks this on the master side,
 * src/room/worker.ts the only one on the room side.
 */
import type { RoomAccess, RoomLimits } from '../config.js';
import type { LogLevel } from '../logger.js';
import type { ChatMessage, UserInfo } from './frames.js';

/** Given to every worker at construction (`workerData`). */
export interface RoomWorkerData {
  access: RoomAccess;
  limits: RoomLimits;
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

// ── stored data (src/master/cache.ts, src/master/transcript-writer.ts) ─────────
/** The master's cached data one room applies: who may not join, which words are refused. */
export interface RoomCache {
  /** Users banned from this room or from every room. */
  bans: string[];
  terms: string[];
}

/** A message of the recovery window with its moderation marks. */
export interface RestoredMessage {
  message: ChatMessage;
  deleted: boolean;
  cleared: boolean;
}

/** What a re-created room continues from: its ids, recovery window, settings and the cache. */
export interface RoomRestore {
  /** The highest id the room gave out before; the next message gets lastId + 1. */
  lastId: number;
  /** Oldest first, at most RECOVERY_WINDOW. */
  window: RestoredMessage[];
  settings: { slow: number };
  cache: RoomCache;
}

export type ModerationKind = 'delete' | 'timeout' | 'ban' | 'unban' | 'clear' | 'slow';

/**
 * What a room hands the master for the store, in the order it happened: every
 * accepted message and every moderation act. `messageId` is the deleted message
 * for `delete` and the last cleared one for `clear`.
 */
export type ChatRecord =
  | { kind: 'message'; message: ChatMessage }
  | {
      kind: 'moderation';
      action: ModerationKind;
      by: UserInfo;
      target: string | null;
      messageId: number | null;
      seconds: number | null;
      reason: string;
      at: number;
    };

/** What each request takes and what its reply carries. */
export interface RoomRequests {
  open: { args: { name: string; port: number; restore?: RoomRestore }; result: { port: number } };
  /** The master's cache changed (or was refreshed): replaces the room's copy. */
  cache: { args: RoomCache; result: object };
  ping: { args: object; result: object };
  stats: { args: object; result: RoomStats };
  broadcast: { args: { text: string; ts: number }; result: { delivered: number } };
  kick: { args: { user: string; reason: string }; result: { closed: number } };
  close: { args: { reason: string }; result: { closed: number } };
}
export type RoomRequestType = keyof RoomRequests;
export type RoomRequest = {
  [K in RoomRequestType]: { type: K; id: number } & RoomRequests[K]['args'];
}[RoomRequestType];

export interface ReplyError {
  code: string;
  message: string;
}

export type FromRoom =
  | { type: 'booted' }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: ReplyError }
  | { type: 'log'; level: LogLevel; message: string; meta?: Record<string, unknown> }
  | { type: 'viewers'; viewers: number }
  /** Batched per event-loop pass; always sent before the reply to `close`. */
  | { type: 'records'; room: string; records: ChatRecord[] };
