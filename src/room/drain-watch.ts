/**
 * Whether a connection's socket is still draining. SLOW_READER_BYTES counts only
 * what waits in the process; in front of it the kernel's send buffer holds
 * megabytes per socket, so a reader that stopped reading can sit below the byte
 * limit for ever. This watches time instead: bytes waiting (bufferedAmount > 0)
 * at every check, and never fewer than at the check before, for `limitMs` means
 * the socket has stopped draining.
 *
 * Checked from the room's sweep of its clients (a few times per limit), never per
 * message. A pure model: the caller gives the time and the bytes waiting.
 */
export class DrainWatch {
  /** When bytes were first seen waiting without draining since; undefined while drained. */
  private since: number | undefined;
  private lastBuffered = 0;

  constructor(private readonly limitMs: number) {}

  /** One check: true when the socket has not drained for `limitMs`. */
  stalled(now: number, buffered: number): boolean {
    if (buffered === 0) {
      this.since = undefined;
    } else if (this.since === undefined || buffered < this.lastBuffered) {
      // Bytes appeared, or the socket took some since the last check: start over.
      this.since = now;
    }
    this.lastBuffered = buffered;
    return this.since !== undefined && now - this.since >= this.limitMs;
  }
}

/** How often a room checks its clients' draining: a quarter of the limit, at least every 50 ms. */
export function drainCheckInterval(limitMs: number): number {
  return Math.max(50, Math.floor(limitMs / 4));
}
