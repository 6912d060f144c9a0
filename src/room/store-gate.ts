/**
 * What the master says of the store, as every engine needs it: whether records
 * can be made durable now (the `writable` notice), and through which record
 * sequence number they are (the `committed` notice). One owner, so the local and
 * the cluster engine refuse and release acks by the same rule.
 */
import type { Writable } from '../protocol/room-messages.js';
import type { Availability } from './engine.js';

export class StoreGate {
  private writable: Writable;
  private committedThrough = 0;

  constructor(
    writable: Writable,
    /** Told each time more records are durable (never twice for the same `through`). */
    private readonly onDurable: (through: number) => void,
  ) {
    this.writable = { ...writable };
  }

  /** A refusal while the store cannot make records durable; null while it can. */
  refusal(): Extract<Availability, { ok: false }> | null {
    if (this.writable.writable) return null;
    return {
      ok: false,
      message: 'Messages cannot be stored right now; try again shortly',
      retryAfterMs: this.writable.retryAfterMs,
    };
  }

  setWritable(writable: Writable): void {
    this.writable = { ...writable };
  }

  /** Every record up to `through` is in the store; a stale or repeated notice changes nothing. */
  committed(through: number): void {
    if (through <= this.committedThrough) return;
    this.committedThrough = through;
    this.onDurable(through);
  }
}
