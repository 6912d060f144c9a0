/**
 * Pacing of a big room's flush passes. A pass is one write per member with
 * something queued, so in a room of 19,000 a pass is 19,000 system calls (and as
 * many reads for the peers): 170 ms of a core at 9 µs a write, several hundred
 * on a machine whose cores the peers share. Run back to back, one per
 * message at 10 messages/s, such passes take the room's whole core and leave the
 * machine none to spare, and every delay then piles up.
 *
 * After a pass over at least PACE_MIN_OUTBOXES members that took L ms, the next
 * pass starts no sooner than PACE_FACTOR × L after that one started, but never
 * later than PACE_MAX_INTERVAL_MS after (or L, if the pass itself took longer:
 * then passes simply follow each other). Whatever arrives meanwhile leaves
 * together, one write per member for several messages, so the room's writes per
 * second fall with the wait, and its peers' reads with them. A message waits at
 * most about one interval: one that arrives during a pass still joins it for the
 * members not yet written (outbox.ts), the others get it in the next. Rooms
 * below the size never wait: a pass there is a few ms, and pacing it would only
 * add latency.
 */

/** Passes over fewer members than this are never paced. */
export const PACE_MIN_OUTBOXES = 4_000;
/** The next pass of a big room starts no sooner than this many pass lengths after the last one started… */
export const PACE_FACTOR = 2;
/** …unless that is longer than this: the wait pacing adds stays within the room's latency budget. */
export const PACE_MAX_INTERVAL_MS = 200;

export class PassPacer {
  /** When the last big pass started, and how long the last big one that ended took (0: none yet). */
  private bigStart = 0;
  private bigLength = 0;

  constructor(
    private readonly factor: number = PACE_FACTOR,
    private readonly minOutboxes: number = PACE_MIN_OUTBOXES,
    private readonly maxIntervalMs: number = PACE_MAX_INTERVAL_MS,
  ) {}

  /** Whether a pass over `outboxes` members is big enough to be paced. */
  isBig(outboxes: number): boolean {
    return outboxes >= this.minOutboxes;
  }

  /** A pass over `outboxes` members starts at `now`. */
  started(now: number, outboxes: number): void {
    if (this.isBig(outboxes)) this.bigStart = now;
  }

  /** The pass that started at `start` over `outboxes` members wrote its last member at `now`. */
  ended(start: number, outboxes: number, now: number): void {
    if (this.isBig(outboxes)) this.bigLength = now - start;
  }

  /**
   * How long a pass asked for at `now` must wait (0: at once). While a big room
   * is paced every pass waits, small ones too (an ack, a welcome): their wait is
   * bounded the same way, and a broadcast that arrives meanwhile leaves with them.
   */
  waitMs(now: number): number {
    if (this.bigLength === 0) return 0;
    const interval = Math.max(this.bigLength, Math.min(this.factor * this.bigLength, this.maxIntervalMs));
    return Math.max(0, this.bigStart + interval - now);
  }
}
