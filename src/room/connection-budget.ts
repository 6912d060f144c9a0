/**
 * The process-wide connection budget: how many sockets every room listener of the
 * process holds together, against MAX_CONNECTIONS.
 *
 * Layout of the shared Int32Array: index 0 is the total in use; index 1 + n is
 * what the worker leased slot n holds. A room takes and gives back on its own
 * thread with Atomics, without a round trip to the master.
 *
 * This is the one SharedArrayBuffer between master and rooms (design.md says
 * master↔room messages use none): the decision "one more socket?" is taken for
 * every accepted connection of every room, must be exact across rooms that accept
 * at the same moment, and must not wait on the master's event loop, which is the
 * very thing a flood would slow down. A counter is the whole of what is shared;
 * no message travels through it.
 *
 * A worker that dies holds its count in its own slot; the master gives that back
 * (reclaim) on every worker exit, whatever the cause. A worker killed between its
 * two Atomics steps can leave one unit taken: the error is on the side of refusing.
 */

/** What a room worker is given (in workerData) to take part in the budget. */
export interface BudgetShare {
  buffer: SharedArrayBuffer;
  /** This worker's slot (index 1 + slot in the array). */
  slot: number;
  max: number;
}

const TOTAL = 0;

/** The room's side: take one unit per accepted socket, give it back once when the socket closes. */
export class RoomBudget {
  private readonly counts: Int32Array;
  private readonly index: number;

  constructor(private readonly share: BudgetShare) {
    this.counts = new Int32Array(share.buffer);
    this.index = 1 + share.slot;
  }

  /** One more socket, if the budget allows; false when it is spent. */
  take(): boolean {
    // Reserve first, then check: two rooms taking the last unit at once both see
    // the other's add, so the total never goes past max.
    if (Atomics.add(this.counts, TOTAL, 1) >= this.share.max) {
      Atomics.sub(this.counts, TOTAL, 1);
      return false;
    }
    Atomics.add(this.counts, this.index, 1);
    return true;
  }

  /** Gives back one unit taken by take(); call exactly once per successful take. */
  give(): void {
    Atomics.sub(this.counts, this.index, 1);
    Atomics.sub(this.counts, TOTAL, 1);
  }

  /** Sockets this room holds. */
  get held(): number {
    return Atomics.load(this.counts, this.index);
  }
}

/** The master's side: the buffer, one slot per live worker, and reclaiming a dead worker's count. */
export class ConnectionBudget {
  readonly buffer: SharedArrayBuffer;
  private readonly counts: Int32Array;
  private readonly free: number[] = [];

  /** `slots`: how many workers may be alive at once (rooms, idle ones and ones still stopping). */
  constructor(
    readonly max: number,
    slots: number,
  ) {
    this.buffer = new SharedArrayBuffer((1 + slots) * Int32Array.BYTES_PER_ELEMENT);
    this.counts = new Int32Array(this.buffer);
    for (let slot = slots - 1; slot >= 0; slot--) this.free.push(slot);
  }

  /** Sockets held by every room together. */
  get inUse(): number {
    return Atomics.load(this.counts, TOTAL);
  }

  /** A slot for a new worker; null when every slot belongs to a live worker. */
  lease(): BudgetShare | null {
    const slot = this.free.pop();
    return slot === undefined ? null : { buffer: this.buffer, slot, max: this.max };
  }

  /** The worker of `slot` has exited: what it still held goes back to the budget, and the slot is free. */
  reclaim(slot: number): number {
    const held = Atomics.exchange(this.counts, 1 + slot, 0);
    if (held !== 0) Atomics.sub(this.counts, TOTAL, held);
    this.free.push(slot);
    return held;
  }
}
