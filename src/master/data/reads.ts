/**
 * The admin API's reads: what the store returns with the transcript writer's
 * queue laid over it, so a read sees every record the master has taken in
 * without waiting for (or forcing) a write. Queued moderation entries have no
 * store id yet; they are shown newest, with ids `q<n>` that page on into the
 * store's entries.
 */
import { type Ban, inForce, isTimeout, type ModerationEntry, type Page, type Store, type TranscriptMessage } from '../../store/store.js';
import { applyBanChanges } from '../cache.js';
import type { TranscriptWriter } from '../transcript-writer.js';
import { withDeadline } from '../../lifecycle.js';
import { overlayMessages, type QueuedRecord } from './queued.js';

/** How long an admin read waits for the store. */
const READ_TIMEOUT_MS = 5_000;

export class DataReads {
  private readonly queuedIds = new WeakMap<QueuedRecord, number>();
  private nextQueuedId = 1;

  constructor(
    private readonly store: Store,
    private readonly writer: TranscriptWriter,
  ) {}

  /** A page of a room's transcript, newest first. */
  async messages(room: string, page: Page & { before?: number | undefined }): Promise<TranscriptMessage[]> {
    const stored = await withDeadline(this.store.messages(room, page), READ_TIMEOUT_MS, 'reading messages');
    return overlayMessages(room, stored, this.writer.queued(room), page.before).slice(0, page.limit);
  }

  /** A page of a room's moderation log (room GLOBAL_ROOM: acts on every room), newest first. */
  async moderation(room: string, page: Page): Promise<ModerationEntry[]> {
    const queued = this.writer
      .queued(room)
      .filter((q) => q.moderation !== undefined)
      .map((q) => ({ id: this.idOf(q), entry: q.moderation! }))
      .reverse();
    const before = page.before === undefined ? undefined : String(page.before);
    const fromQueue = before?.startsWith('q') === true;
    const shown = before === undefined ? queued : fromQueue ? queued.filter((q) => q.id < Number(before.slice(1))) : [];
    const entries: ModerationEntry[] = shown.slice(0, page.limit).map((q) => ({ id: `q${q.id}`, ...q.entry }));
    const rest = page.limit - entries.length;
    if (rest > 0) {
      const storeBefore = before === undefined || fromQueue ? undefined : before;
      const stored = await withDeadline(
        this.store.moderation(room, { limit: rest, before: storeBefore }),
        READ_TIMEOUT_MS,
        'reading the moderation log',
      );
      entries.push(...stored);
    }
    return entries;
  }

  /** Bans in force, with the queued ban changes laid over them. */
  async bans(now = Date.now()): Promise<Ban[]> {
    const stored = await withDeadline(this.store.bans(now), READ_TIMEOUT_MS, 'reading bans');
    return applyBanChanges(stored, this.writer.queuedBans()).filter((b) => inForce(b, now) && !isTimeout(b));
  }

  private idOf(q: QueuedRecord): number {
    let id = this.queuedIds.get(q);
    if (id === undefined) this.queuedIds.set(q, (id = this.nextQueuedId++));
    return id;
  }
}
