/**
 * Held for review: messages waiting for a mod's `allow` or `deny`. Every copy of
 * a room keeps the queue (held messages are announced to all copies, decisions
 * are acts in the room's order); the copy the message was posted on also keeps
 * its draft, and only that copy publishes it when allowed, so it reaches
 * everyone once. A message nobody decides on within REVIEW_TIMEOUT_MS is dropped.
 */
import type { UserInfo } from '../protocol/frames.js';
import type { Clock, Timer } from './clock.js';

export const REVIEW_TIMEOUT_MS = 5 * 60_000;
/** Held messages one room keeps at most; beyond it the oldest is dropped. */
const MAX_HELD = 1_000;

export interface HeldMessage {
  id: string;
  user: UserInfo;
  text: string;
  /** Which review term it matched, or that guests are held. */
  reason: string;
  ts: number;
}

export class ReviewQueue<Draft> {
  private readonly held = new Map<string, { message: HeldMessage; timer: Timer; draft: Draft | undefined }>();

  constructor(
    private readonly clock: Clock,
    /** A held message was dropped because nobody decided in time. */
    private readonly expired: (message: HeldMessage) => void,
    private readonly timeoutMs = REVIEW_TIMEOUT_MS,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** Holds a message; `draft` on the copy it was posted on. A repeated hold changes nothing. */
  hold(message: HeldMessage, draft?: Draft): void {
    if (this.held.has(message.id)) return;
    const timer = this.clock.setTimeout(() => {
      if (this.held.delete(message.id)) this.expired(message);
    }, this.timeoutMs);
    timer.unref?.();
    this.held.set(message.id, { message, timer, draft });
    if (this.held.size > MAX_HELD) {
      const oldest = this.held.keys().next().value!;
      this.take(oldest);
    }
  }

  /** The held messages, oldest first (what a mod joining now is shown). */
  list(): HeldMessage[] {
    return [...this.held.values()].map((h) => h.message);
  }

  /** Decides on a message: it leaves the queue; answers it and its draft, or undefined if it is not held. */
  take(id: string): { message: HeldMessage; draft: Draft | undefined } | undefined {
    const entry = this.held.get(id);
    if (entry === undefined) return undefined;
    this.clock.clearTimeout(entry.timer);
    this.held.delete(id);
    return { message: entry.message, draft: entry.draft };
  }

  stop(): void {
    for (const entry of this.held.values()) this.clock.clearTimeout(entry.timer);
    this.held.clear();
  }
}
