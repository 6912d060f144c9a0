/**
 * Per-pass write coalescing. Frames queued for a client during one pass of the
 * event loop leave together, newline-separated, in WebSocket messages of at most
 * MAX_BATCH_BYTES; a frame is never split. The flush runs from setImmediate, so a
 * quiet room sends at once (no timer delay) and a busy room makes one write per
 * client per pass instead of one per frame: each write is a system call, and
 * cutting those is what lets one room feed thousands of clients.
 *
 * Clients of one room almost always have the same frames queued in a pass (the
 * same broadcasts, in the same order), so the scheduler builds each batch's bytes
 * once per pass and hands the same Buffer to every such client: no per-client
 * string joining or UTF-8 encoding.
 */
import { FRAME_SEPARATOR, MAX_BATCH_BYTES } from '../protocol/frames.js';

/** A frame serialised once, shared by every client it goes to. */
export interface EncodedFrame {
  readonly json: string;
  readonly bytes: number;
}

export function encode(frame: object): EncodedFrame {
  const json = JSON.stringify(frame);
  return { json, bytes: Buffer.byteLength(json) };
}

/** What the outbox needs of a client connection. */
export interface OutboxTarget {
  /** Bytes accepted by send() but not yet written to the network. */
  readonly bufferedAmount: number;
  /** Sends one WebSocket text message (UTF-8 bytes, possibly shared with other clients). */
  send(data: Buffer): void;
  /** Called instead of writing when the client has fallen too far behind. */
  onTooSlow(): void;
}

export class Outbox {
  readonly pending: EncodedFrame[] = [];

  constructor(
    readonly target: OutboxTarget,
    private readonly scheduler: FlushScheduler,
    private readonly slowReaderBytes: number,
  ) {}

  push(frame: EncodedFrame): void {
    if (this.pending.push(frame) === 1) this.scheduler.schedule(this);
  }

  /** Drops whatever is queued (the connection is closing). */
  discard(): void {
    this.pending.length = 0;
  }

  /** Writes what is queued now, outside the scheduler's pass (a closing connection's last frames). */
  flushNow(): void {
    if (this.pending.length > 0) this.flush(batch(this.pending));
  }

  /** Writes the queued frames as the given batches (built by the scheduler from `pending`). */
  flush(batches: readonly Buffer[]): void {
    this.pending.length = 0;
    for (const batch of batches) {
      // Checked before every write: a reader that stopped reading is cut off
      // before it can grow the server's memory past the threshold.
      if (this.target.bufferedAmount > this.slowReaderBytes) {
        this.target.onTooSlow();
        return;
      }
      this.target.send(batch);
    }
  }
}

/** Splits frames into messages of at most MAX_BATCH_BYTES (a larger frame goes alone), as bytes. */
export function batch(frames: readonly EncodedFrame[]): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < frames.length) {
    let end = start + 1;
    let bytes = frames[start]!.bytes;
    while (end < frames.length && bytes + 1 + frames[end]!.bytes <= MAX_BATCH_BYTES) {
      bytes += 1 + frames[end]!.bytes;
      end += 1;
    }
    let text = frames[start]!.json;
    for (let i = start + 1; i < end; i++) text += FRAME_SEPARATOR + frames[i]!.json;
    out.push(Buffer.from(text));
    start = end;
  }
  return out;
}

function sameFrames(a: readonly EncodedFrame[], b: readonly EncodedFrame[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Flushes every outbox that got frames during this pass, once, in one setImmediate. */
export class FlushScheduler {
  private dirty: Outbox[] = [];
  private scheduled = false;

  schedule(outbox: Outbox): void {
    this.dirty.push(outbox);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private readonly flushAll = (): void => {
    const dirty = this.dirty;
    this.dirty = [];
    this.scheduled = false;
    // The batches of the last two distinct frame lists seen this pass, reused for
    // every outbox holding the very same frames. Two, because a sender whose ack
    // leaves in this pass has a list of its own between readers that all share the
    // broadcast: with one slot, each such sender would make the next reader encode
    // the broadcast again.
    let frames: EncodedFrame[] = [];
    let batches: Buffer[] = [];
    let otherFrames: EncodedFrame[] = [];
    let otherBatches: Buffer[] = [];
    for (const outbox of dirty) {
      const pending = outbox.pending;
      if (pending.length === 0) continue; // discarded since it was scheduled
      if (!sameFrames(pending, frames)) {
        [otherFrames, frames, otherBatches, batches] = [frames, otherFrames, batches, otherBatches];
        if (!sameFrames(pending, frames)) {
          frames = pending.slice();
          batches = batch(frames);
        }
      }
      outbox.flush(batches);
    }
  };
}
