/**
 * Message ids reserved durably ahead of use. Before a room opens, the store's
 * high-water mark for it is raised a block (IDS_BLOCK) past anything it may have
 * given out, and the room may hand out ids up to that mark; once the highest id
 * seen passes the middle of the last block, the next one is reserved and the
 * room is told (`onGrant`). A crash then skips ids, never repeats one: the next
 * instance continues after the mark, which is at or above every id given out.
 *
 * With the store down no block is reserved, so a room whose grant runs out
 * refuses messages until it is back; failed reservations are retried with a
 * doubling pause (and at once when the store is seen answering again).
 */
import type { Store } from '../../store/store.js';
import { withDeadline } from '../../lifecycle.js';

export const IDS_BLOCK = 1_000;
const RESERVE_TIMEOUT_MS = 3_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

interface RoomIds {
  /** Every id up to this is reserved in the store (0: nothing reserved yet). */
  through: number;
  /** The room continues after this id; the next reservation reaches past it. */
  floor: number;
  /** The highest id the room has used. */
  highest: number;
  /** Whether `through` is known to be at least the store's mark (false: read it first). */
  known: boolean;
  open: boolean;
  reserving: Promise<void> | null;
}

export interface IdReserverOptions {
  store: Store;
  block?: number;
  /** A room was given more ids: every id up to `through`. */
  onGrant(room: string, through: number): void;
  onStoreError(error: unknown): void;
  onStoreOk(): void;
}

export class IdReserver {
  private readonly rooms = new Map<string, RoomIds>();
  private readonly block: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: IdReserverOptions) {
    this.block = options.block ?? IDS_BLOCK;
  }

  /** The room's grant: every id up to this is reserved (0 if this process reserved none). */
  through(room: string): number {
    return this.rooms.get(room)?.through ?? 0;
  }

  /**
   * A room opens and continues after `lastId`; `known` says whether lastId
   * includes the store's mark. Resolves once a block is reserved, or the store
   * failed (the grant then ends at what is already reserved: maybe nothing new).
   */
  async open(room: string, lastId: number, known: boolean): Promise<number> {
    const previous = this.rooms.get(room);
    const r: RoomIds = {
      through: previous?.through ?? 0,
      floor: lastId,
      highest: lastId,
      known: known || (previous?.known ?? false),
      open: true,
      reserving: null,
    };
    this.rooms.set(room, r);
    await this.extend(room, r, false);
    return r.through;
  }

  closed(room: string): void {
    const r = this.rooms.get(room);
    if (r) r.open = false;
  }

  /** A message with this id was given out. */
  used(room: string, id: number): void {
    const r = this.rooms.get(room);
    if (r === undefined) return;
    if (id > r.highest) r.highest = id;
    // While reservations fail, the retry timer asks, not every message.
    if (this.failures === 0 && this.runningLow(r)) void this.extend(room, r, true);
  }

  /** The store answers again: rooms still short of a block ask now. */
  retry(): void {
    if (this.failures === 0) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.extendLow();
  }

  private runningLow(r: RoomIds): boolean {
    return r.open && r.highest > r.through - this.block / 2;
  }

  private extendLow(): void {
    for (const [room, r] of this.rooms) if (this.runningLow(r)) void this.extend(room, r, true);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private extend(room: string, r: RoomIds, notify: boolean): Promise<void> {
    r.reserving ??= this.reserve(room, r, notify).finally(() => (r.reserving = null));
    return r.reserving;
  }

  private async reserve(room: string, r: RoomIds, notify: boolean): Promise<void> {
    const { store } = this.options;
    try {
      if (!r.known) {
        const stored = await withDeadline(store.room(room), RESERVE_TIMEOUT_MS, 'reading the id mark');
        r.floor = Math.max(r.floor, stored?.lastMessageId ?? 0);
        r.known = true;
      }
      const target = Math.max(r.through, r.floor, r.highest) + this.block;
      await withDeadline(store.reserveIds(room, target), RESERVE_TIMEOUT_MS, 'reserving ids');
      r.through = target;
      this.failures = 0;
      this.options.onStoreOk();
      if (notify && r.open && this.rooms.get(room) === r) this.options.onGrant(room, target);
    } catch (error) {
      this.failures += 1;
      this.options.onStoreError(error);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delay = Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.extendLow();
    }, delay);
    this.retryTimer.unref();
  }
}
