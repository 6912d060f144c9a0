/**
 * The Redis keys of one room shared by a cluster (docs/cluster.md lists what each
 * holds and for how long). Every key of a room carries the room's name in braces
 * (a hash tag), so a room's keys stay in one slot should the Redis be sharded.
 */
export interface RoomKeys {
  /** Stream: the room's order, every message, act and control. */
  log: string;
  /** Hash: the id counter (last, reserved, spare block) and the epoch. */
  meta: string;
  /** Hash: per copy, its joined connections, until when that holds, and its users list's version. */
  copies: string;
  /** Hash: per copy, its identified users (JSON, at most 500), written when they change. */
  users: string;
  /** Hash: per server holding a copy, its viewers and until when that holds (copy-registry.ts). */
  servers: string;
}

export function roomKeys(room: string): RoomKeys {
  const prefix = `cs:{${room}}`;
  return {
    log: `${prefix}:log`,
    meta: `${prefix}:meta`,
    copies: `${prefix}:copies`,
    users: `${prefix}:users`,
    servers: `${prefix}:servers`,
  };
}

/** Sorted set: one user's posts in the rate window (scores are Redis time in ms). */
export function rateKey(room: string, user: string): string {
  return `cs:{${room}}:rate:${user}`;
}

/** String with a TTL: the user posted within the slow-mode interval. */
export function slowKey(room: string, user: string): string {
  return `cs:{${room}}:slow:${user}`;
}

/** A room's keys live this long after its last write (an idle room's log expires with it). */
export const ROOM_KEYS_TTL_MS = 24 * 3600_000;

/** The log keeps about this many entries (XADD MAXLEN ~): well past any recovery window. */
export const LOG_MAX_ENTRIES = 10_000;
