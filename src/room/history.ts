/**
 * The room's recent messages: the recovery window. Ids only grow, so the window is
 * an array in id order; a deleted message stays in place (marked) so recovery can
 * still tell a gap from a deletion, and is left out of what clients are sent.
 */
import type { ChatMessage } from '../protocol/frames.js';
import type { RestoredMessage } from '../protocol/room-messages.js';

export interface StoredMessage {
  message: ChatMessage;
  deleted: boolean;
}

export type Recovery = { recovered: true; messages: ChatMessage[] } | { recovered: false; messages: ChatMessage[] };

export class History {
  private entries: StoredMessage[] = [];
  /** Ids at or below this were cleared: history starts after it. */
  private clearedThrough = 0;
  /** The highest id this room ever gave out (including messages before the window). */
  private lastId = 0;
  /** A `since` below this cannot be recovered in full (see lostBefore). */
  private unknownBefore = 0;
  /** Grows with every change to what `since` and `recent` answer (src/room/recovery-cache.ts). */
  private changes = 0;

  constructor(private readonly capacity: number) {}

  /** Changes whenever an answer of `since` or `recent` could change. */
  get version(): number {
    return this.changes;
  }

  get latestId(): number {
    return this.lastId;
  }

  /** Continues from a stored window (oldest first) after a restart; ids go on after `lastId`. */
  restore(window: readonly RestoredMessage[], lastId: number): void {
    this.changes += 1;
    this.entries = window.slice(-this.capacity).map(({ message, deleted }) => ({ message, deleted }));
    for (const e of window) if (e.cleared) this.clearedThrough = Math.max(this.clearedThrough, e.message.id);
    this.lastId = Math.max(this.lastId, lastId, this.entries.at(-1)?.message.id ?? 0);
  }

  add(message: ChatMessage): void {
    this.changes += 1;
    this.lastId = message.id;
    if (this.capacity === 0) return;
    this.entries.push({ message, deleted: false });
    // Oldest out as the newest comes in (V8 trims an array's front in place).
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  find(id: number): StoredMessage | undefined {
    const window = this.entries;
    // Ids are dense within a room, so the index is a good first guess.
    const guess = window.length - 1 - (this.lastId - id);
    if (window[guess]?.message.id === id) return window[guess];
    return window.find((e) => e.message.id === id);
  }

  markDeleted(id: number): boolean {
    const entry = this.find(id);
    if (!entry || entry.deleted) return false;
    entry.deleted = true;
    this.changes += 1;
    return true;
  }

  /** Hides every message up to `throughId` (a clear); a clear never un-hides. */
  clearThrough(throughId: number): void {
    this.changes += 1;
    this.clearedThrough = Math.max(this.clearedThrough, throughId);
  }

  /**
   * The room's shared order was lost before `nextId` (the cluster's Redis came
   * back empty): messages just before it may exist that this copy never saw, so
   * a `since` before it can no longer be answered as complete.
   */
  lostBefore(nextId: number): void {
    this.changes += 1;
    this.unknownBefore = Math.max(this.unknownBefore, nextId - 1);
  }

  /** The last `count` visible messages, oldest first. */
  recent(count: number): ChatMessage[] {
    const out: ChatMessage[] = [];
    const window = this.entries;
    for (let i = window.length - 1; i >= 0 && out.length < count; i--) {
      const e = window[i]!;
      if (e.message.id <= this.clearedThrough) break;
      if (!e.deleted) out.push(e.message);
    }
    return out.reverse();
  }

  /**
   * The visible messages after `since`, if the window still reaches back to it;
   * otherwise `recovered: false` with the last `fallbackCount`.
   */
  since(since: number, fallbackCount: number): Recovery {
    if (!this.recoverable(since)) return { recovered: false, messages: this.recent(fallbackCount) };
    const messages = this.entries
      .filter((e) => e.message.id > since && e.message.id > this.clearedThrough && !e.deleted)
      .map((e) => e.message);
    return { recovered: true, messages };
  }

  /** Whether a join with `since` can be given every message after it: an id the room gave out, still in the window. */
  recoverable(since: number): boolean {
    const oldest = this.entries[0]?.message.id ?? this.lastId + 1;
    return since <= this.lastId && since >= oldest - 1 && since >= 0 && since >= this.unknownBefore;
  }
}
