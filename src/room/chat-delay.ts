/**
 * Chat delay: a non-mod's message reaches viewers `chatDelay` seconds late (mods
 * and hosts see it at once, so they can delete it first). A message deleted
 * while it waits is never shown to viewers.
 */
import type { Clock, Timer } from './clock.js';

export class ChatDelay {
  /** Message id → its pending delivery. */
  private readonly pending = new Map<number, Timer>();

  constructor(private readonly clock: Clock) {}

  /** Delivers `show` after `ms`, unless the message is deleted first. */
  hold(id: number, ms: number, show: () => void): void {
    const timer = this.clock.setTimeout(() => {
      this.pending.delete(id);
      show();
    }, ms);
    timer.unref?.();
    this.pending.set(id, timer);
  }

  /** Whether any message is waiting. */
  get anyPending(): boolean {
    return this.pending.size > 0;
  }

  /** Whether viewers are still waiting for this message. */
  isPending(id: number): boolean {
    return this.pending.has(id);
  }

  /** The message was deleted (or cleared): viewers never get it. */
  drop(id: number): void {
    this.clock.clearTimeout(this.pending.get(id));
    this.pending.delete(id);
  }

  /** Every message waiting up to `throughId` (a clear). */
  dropThrough(throughId: number): void {
    for (const id of [...this.pending.keys()]) if (id <= throughId) this.drop(id);
  }

  stop(): void {
    for (const timer of this.pending.values()) this.clock.clearTimeout(timer);
    this.pending.clear();
  }
}
