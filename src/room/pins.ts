/**
 * The room's pinned message: at most one, until a time or until unpinned. Every
 * copy of a room applies the same pin controls (engine.announce), and `until` is
 * a time, not a duration, so every copy ends the pin at the same moment without
 * telling the others. The pin owns its end-of-pin timer.
 */
import type { ChatMessage } from '../protocol/frames.js';
import type { StoredPin } from '../store/store.js';
import type { Clock, Timer } from './clock.js';

export class Pins {
  private pin: StoredPin | null = null;
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    /** The pin's time is up: it is gone, and whoever shows it should stop. */
    private readonly onExpired: () => void,
  ) {}

  /** The pin in force now, or null. */
  get current(): StoredPin | null {
    if (this.pin !== null && this.pin.until !== null && this.pin.until <= this.clock.now()) this.drop();
    return this.pin;
  }

  /** Pins `message` until `until` (null: until unpinned); answers false for a pin already over. */
  set(message: ChatMessage, until: number | null): boolean {
    this.drop();
    if (until !== null && until <= this.clock.now()) return false;
    this.pin = { message, until };
    if (until !== null) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        if (this.pin?.until === until) {
          this.pin = null;
          this.onExpired();
        }
      }, until - this.clock.now());
      this.timer.unref?.();
    }
    return true;
  }

  /** Unpins; answers whether there was a pin in force. */
  clear(): boolean {
    const had = this.current !== null;
    this.drop();
    return had;
  }

  /** Whether message `id` is the one pinned now. */
  holds(id: number): boolean {
    return this.current?.message.id === id;
  }

  stop(): void {
    this.drop();
  }

  private drop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pin = null;
  }
}
