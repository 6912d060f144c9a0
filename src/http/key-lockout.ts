/**
 * Wrong-key lock-out for the admin API: ten wrong (or missing) keys from one
 * address within a minute block that address for a minute; while blocked, every
 * request from it is refused before its key is looked at, so guessing cannot go
 * on. A right key clears the address's count.
 *
 * Memory is bounded: at most MAX_TRACKED addresses are remembered, each with at
 * most `attempts` timestamps. When the table is full, entries that no longer
 * matter are swept first, then the oldest is forgotten.
 */

export interface KeyLockoutOptions {
  /** Wrong keys that block an address. */
  attempts?: number;
  /** The window the wrong keys are counted in. */
  windowMs?: number;
  /** How long a block lasts. */
  blockMs?: number;
  maxTracked?: number;
  now?: () => number;
}

interface Entry {
  /** Times of the recent wrong keys, oldest first (at most `attempts`). */
  failures: number[];
  blockedUntil: number;
}

export const LOCKOUT_ATTEMPTS = 10;
export const LOCKOUT_WINDOW_MS = 60_000;
export const LOCKOUT_BLOCK_MS = 60_000;
const MAX_TRACKED = 10_000;

export class KeyLockout {
  private readonly entries = new Map<string, Entry>();
  private readonly attempts: number;
  private readonly windowMs: number;
  private readonly blockMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;

  constructor(options: KeyLockoutOptions = {}) {
    this.attempts = options.attempts ?? LOCKOUT_ATTEMPTS;
    this.windowMs = options.windowMs ?? LOCKOUT_WINDOW_MS;
    this.blockMs = options.blockMs ?? LOCKOUT_BLOCK_MS;
    this.maxTracked = options.maxTracked ?? MAX_TRACKED;
    this.now = options.now ?? Date.now;
  }

  /** Addresses remembered now (for tests of the bound). */
  get size(): number {
    return this.entries.size;
  }

  /** Milliseconds the address stays blocked (0: not blocked). */
  blockedFor(address: string): number {
    const entry = this.entries.get(address);
    if (entry === undefined) return 0;
    const left = entry.blockedUntil - this.now();
    return left > 0 ? left : 0;
  }

  /** Counts a wrong key; answers the block's length in ms when this one started a block, else 0. */
  failed(address: string): number {
    const now = this.now();
    let entry = this.entries.get(address);
    if (entry === undefined) {
      this.makeRoom(now);
      entry = { failures: [], blockedUntil: 0 };
    } else this.entries.delete(address); // re-inserted below: the Map's order is last use
    this.entries.set(address, entry);
    if (entry.blockedUntil > now) return 0;
    const failures = entry.failures.filter((t) => now - t < this.windowMs);
    failures.push(now);
    if (failures.length >= this.attempts) {
      entry.failures = [];
      entry.blockedUntil = now + this.blockMs;
      return this.blockMs;
    }
    entry.failures = failures;
    return 0;
  }

  /** A right key: the address starts again from zero (unless it is blocked). */
  succeeded(address: string): void {
    const entry = this.entries.get(address);
    if (entry !== undefined && entry.blockedUntil <= this.now()) this.entries.delete(address);
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxTracked) return;
    for (const [address, entry] of this.entries) {
      const stale = entry.blockedUntil <= now && entry.failures.every((t) => now - t >= this.windowMs);
      if (stale) this.entries.delete(address);
    }
    while (this.entries.size >= this.maxTracked) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
