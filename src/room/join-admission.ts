/**
 * How fast a room lets connections in. Every WebSocket upgrade takes one token
 * from a bucket of `burst` tokens refilled at `ratePerS` a second; an upgrade
 * that finds the bucket empty is answered HTTP 503 before the handshake, with a
 * Retry-After that spreads the refused clients over the seconds ahead instead of
 * sending them all back at the same moment.
 *
 * Why: after a deploy, a restart or a network blip every viewer of a big room
 * comes back at once. Handshakes, joins and welcomes then crowd out the room's
 * fan-out, and clients whose attempts time out back off for ever longer (the
 * long tail of a reconnect storm). Admitting at a rate the room can serve, and
 * telling the rest exactly when to come back, bounds both.
 *
 * The Retry-After of a refusal is a slot in a virtual queue: each refusal books
 * the next free 1/ratePerS of time after those already promised, so the refusals
 * of one second are told to come back across the following seconds, as many per
 * second as the rate lets in, not all at the next. (Slots are not reserved: a new
 * arrival may still take a token meant for a returning client, which is then
 * refused again with a later slot.)
 */
import type { Clock } from './clock.js';

export type Admission = { admitted: true } | { admitted: false; retryAfterS: number };

/** Retry-After is whole seconds (RFC 9110); never less than one. */
const MIN_RETRY_AFTER_S = 1;
/** A refused client is never told to wait longer than this, however long the queue. */
export const MAX_RETRY_AFTER_S = 30;

export class JoinAdmission {
  private tokens: number;
  private refilledAt: number;
  /** When the last refused client was told to come back (ms, the clock's time). */
  private promisedUntil = 0;
  /** Upgrades refused since the room started (for the room's counters). */
  refused = 0;

  /** `ratePerS` 0 admits everyone (no limit). */
  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.refilledAt = clock.now();
  }

  get enabled(): boolean {
    return this.ratePerS > 0;
  }

  /** One upgrade asks to come in: admitted, or refused with when to try again. */
  admit(): Admission {
    if (!this.enabled) return { admitted: true };
    const now = this.clock.now();
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { admitted: true };
    }
    this.refused += 1;
    const slotMs = 1000 / this.ratePerS;
    // Tokens for the first slot come after the bucket has refilled one; later
    // refusals queue behind the ones already promised.
    const firstFree = now + (1 - this.tokens) * slotMs;
    this.promisedUntil = Math.max(this.promisedUntil + slotMs, firstFree);
    const waitS = Math.ceil((this.promisedUntil - now) / 1000);
    return { admitted: false, retryAfterS: Math.min(MAX_RETRY_AFTER_S, Math.max(MIN_RETRY_AFTER_S, waitS)) };
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.refilledAt = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerS) / 1000);
  }
}

/**
 * Below this, a whole room coming back at once is already spread by the SDK's
 * own first backoff delay (250–500 ms by default): no window is named.
 */
export const MIN_REJOIN_WINDOW_MS = 500;
/** However big the room, its members are never asked to spread their return over longer than this. */
export const MAX_REJOIN_WINDOW_MS = 30_000;

/**
 * The rejoin window a welcome (and presence) names: how long `members` take to
 * come back at `ratePerS` joins a second. A member that loses its connection
 * makes its first attempt at a uniformly random moment of the window
 * (src/client/reconnect.ts), so a room dropped all at once comes back at about
 * the rate it admits: no burst the room cannot serve, few refusals. Sized on the
 * rate itself, not the burst on top, because the burst is what the bucket lets
 * through, not what the room serves without falling behind. 0 for a room small
 * enough to come back within the SDK's first backoff, or without a join rate.
 */
export function rejoinWindowMs(members: number, ratePerS: number): number {
  if (ratePerS <= 0) return 0;
  const ms = Math.ceil((1000 * members) / ratePerS);
  return ms < MIN_REJOIN_WINDOW_MS ? 0 : Math.min(MAX_REJOIN_WINDOW_MS, ms);
}

/** `frame` with the rejoin window of a room of `members` at `ratePerS` set, when there is one. */
export function withRejoinWindow<T extends { rejoinWindowMs?: number }>(
  frame: T,
  members: number,
  ratePerS: number,
): T {
  const window = rejoinWindowMs(members, ratePerS);
  if (window > 0) frame.rejoinWindowMs = window;
  return frame;
}
