/**
 * Every message between the master and a room worker, both directions.
 *
 * The master asks, the room answers: each request carries an `id` and is answered
 * by exactly one `reply` with that id (`ok` with the request's result, or an
 * error). The room also sends events of its own (`log`, `viewers`). A worker says
 * `booted` once it can take an `open`; the master's RoomHandle
 * (src/master/room-handle.ts) is the only code that speaks this on the master side,
 * src/room/worker.ts the only one on the room side.
 */
import type { RoomAccess, RoomLimits } from '../config.js';
import type { LogLevel } from '../logger.js';

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
}

/** What each request takes and what its reply carries. */
export interface RoomRequests {
  open: { args: { name: string; port: number }; result: { port: number } };
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
  | { type: 'viewers'; viewers: number };
