/**
 * Per-pass write coalescing. Frames queued for a client during one pass of the
 * event loop leave together, newline-separated, in WebSocket messages of at most
 * MAX_BATCH_BYTES; a frame is never split. The flush runs from setImmediate, so a
 * quiet room sends at once (no timer delay) and a busy room makes one write per
 * client per pass instead of one per frame: each write is a system call, and
 * cutting those is what lets one room feed thousands of clients.
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
  send(data: string): void;
  /** Called instead of writing when the client has fallen too far behind. */
  onTooSlow(): void;
}

export class Outbox {
  private readonly pending: EncodedFrame[] = [];

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

  flush(): void {
    const frames = this.pending;
    let start = 0;
    while (start < frames.length) {
      // Checked before every write: a reader that stopped reading is cut off
      // before it can grow the server's memory past the threshold.
      if (this.target.bufferedAmount > this.slowReaderBytes) {
        frames.length = 0;
        this.target.onTooSlow();
        return;
      }
      let end = start + 1;
      let bytes = frames[start]!.bytes;
      while (end < frames.length && bytes + 1 + frames[end]!.bytes <= MAX_BATCH_BYTES) {
        bytes += 1 + frames[end]!.bytes;
        end += 1;
      }
      this.target.send(end === start + 1 ? frames[start]!.json : join(frames, start, end));
      start = end;
    }
    frames.length = 0;
  }
}

function join(frames: EncodedFrame[], start: number, end: number): string {
  let out = frames[start]!.json;
  for (let i = start + 1; i < end; i++) out += FRAME_SEPARATOR + frames[i]!.json;
  return out;
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
    for (const outbox of dirty) outbox.flush();
  };
}
