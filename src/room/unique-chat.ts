/**
 * Unique chat: which texts were posted in this room in the last window. A text
 * is compared cleaned, with case and repeated whitespace folded ("Hi  there" is
 * "hi there"). Each copy of a room in a cluster remembers what it was handed.
 */
import type { Clock } from './clock.js';

/** Texts remembered at most; the oldest go first (a flood of distinct texts cannot grow this without end). */
const MAX_TEXTS = 50_000;

export function uniqueKey(text: string): string {
  return text.toLowerCase().replace(/\s+/gu, ' ').trim();
}

export class UniqueChat {
  /** Key → when it was last posted, oldest first. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  /** True when the same text was posted within the window. */
  isDuplicate(text: string): boolean {
    const at = this.seen.get(uniqueKey(text));
    return at !== undefined && at > this.clock.now() - this.windowMs;
  }

  /** An accepted post: its text counts from now. */
  posted(text: string): void {
    const key = uniqueKey(text);
    this.seen.delete(key);
    this.seen.set(key, this.clock.now());
    if (this.seen.size > MAX_TEXTS) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Forgets texts older than the window (the room's periodic upkeep). */
  sweep(): void {
    const oldest = this.clock.now() - this.windowMs;
    for (const [key, at] of this.seen) {
      if (at > oldest) break; // in posting order: the rest are newer
      this.seen.delete(key);
    }
  }
}
