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
  /** Hash: per copy, its joined connections and until when that holds. */
  copies: string;
}

export function roomKeys(room: string): RoomKeys {
  return { log: `cs:{${room}}:log`, meta: `cs:{${room}}:meta`, copies: `cs:{${room}}:copies` };
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
