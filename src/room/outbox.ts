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
 *
 * In a big room one pass is thousands of writes (a system call each, some
 * 10 µs on loopback): at 19,000 members a pass takes a few hundred ms, and a
 * message that arrives just after a pass began would wait for all of it and
 * then for its own. So a pass yields to the event loop after every FLUSH_CHUNK
 * outboxes: a message read meanwhile is queued behind what the members not yet
 * written still hold, and leaves with it in this same pass (the rest get it in
 * the pass that the queueing scheduled: alongside this one, or in a big room
 * after it, paced by pass-pacer.ts). A member's frames still leave in order,
 * each once; a room smaller than a chunk flushes in one go as before.
 */
import { FRAME_SEPARATOR, MAX_BATCH_BYTES } from '../protocol/frames.js';
import { PassPacer } from './pass-pacer.js';

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
  /** A write threw: this client is ended, and the pass goes on to the others. */
  onSendFailed(error: unknown): void;
}

/** What an outbox with nothing queued answers for `pending`. */
const NOTHING: readonly EncodedFrame[] = Object.freeze([]);

export class Outbox {
  /**
   * The frames queued since the last flush; null while there are none, so an idle
   * member holds no array of its own (nor the spare capacity a reused one keeps).
   */
  private queue: EncodedFrame[] | null = null;

  constructor(
    readonly target: OutboxTarget,
    private readonly scheduler: FlushScheduler,
    private readonly slowReaderBytes: number,
  ) {}

  /** The frames queued since the last flush. */
  get pending(): readonly EncodedFrame[] {
    return this.queue ?? NOTHING;
  }

  push(frame: EncodedFrame): void {
    if (this.queue !== null) this.queue.push(frame);
    else {
      this.queue = [frame];
      this.scheduler.schedule(this);
    }
  }

  /** Drops whatever is queued (the connection is closing). */
  discard(): void {
    this.queue = null;
  }

  /** Writes what is queued now, outside the scheduler's pass (a closing connection's last frames). */
  flushNow(): void {
    if (this.queue !== null) this.flush(batch(this.queue));
  }

  /** Writes the queued frames as the given batches (built by the scheduler from `pending`). */
  flush(batches: readonly Buffer[]): void {
    this.queue = null;
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

/** Outboxes one pass writes before it lets the event loop read what has arrived meanwhile. */
export const FLUSH_CHUNK = 1000;

/**
 * The batches of the last two distinct frame lists seen in a pass, reused for
 * every outbox holding the very same frames. Two, because a sender whose ack
 * leaves in this pass has a list of its own between readers that all share the
 * broadcast: with one slot, each such sender would make the next reader encode
 * the broadcast again.
 */
class BatchCache {
  private frames: EncodedFrame[] = [];
  private batches: Buffer[] = [];
  private otherFrames: EncodedFrame[] = [];
  private otherBatches: Buffer[] = [];

  of(pending: readonly EncodedFrame[]): readonly Buffer[] {
    if (!sameFrames(pending, this.frames)) {
      [this.otherFrames, this.frames, this.otherBatches, this.batches] = [
        this.frames,
        this.otherFrames,
        this.batches,
        this.otherBatches,
      ];
      if (!sameFrames(pending, this.frames)) {
        this.frames = pending.slice();
        this.batches = batch(this.frames);
      }
    }
    return this.batches;
  }
}

/** How the scheduler waits: at once (the next turn of the event loop) or after `ms`; a test hands in a fake clock. */
export interface PassTimers {
  now(): number;
  later(fn: () => void, ms: number): void;
}

export const realPassTimers: PassTimers = {
  now: () => performance.now(),
  later: (fn, ms) => {
    if (ms <= 0) setImmediate(fn);
    else setTimeout(fn, ms);
  },
};

/**
 * Flushes every outbox that got frames during this pass, once, from setImmediate,
 * FLUSH_CHUNK at a time; in a big room, no sooner than the pacer allows
 * (pass-pacer.ts), and then never while another pass is still writing.
 */
export class FlushScheduler {
  private dirty: Outbox[] = [];
  private scheduled = false;
  /** Whether a big pass (pass-pacer.ts) is still writing, and whether the next pass waits for it to end. */
  private bigRunning = false;
  private waitingForBig = false;

  constructor(
    private readonly chunk: number = FLUSH_CHUNK,
    private readonly timers: PassTimers = realPassTimers,
    private readonly pacer: PassPacer = new PassPacer(),
  ) {}

  schedule(outbox: Outbox): void {
    this.dirty.push(outbox);
    if (!this.scheduled) {
      this.scheduled = true;
      this.timers.later(this.flushAll, this.pacer.waitMs(this.timers.now()));
    }
  }

  private readonly flushAll = (): void => {
    if (this.bigRunning) {
      // Two big passes never interleave their chunks: this one starts when that one ends.
      this.waitingForBig = true;
      return;
    }
    const dirty = this.dirty;
    this.dirty = [];
    this.scheduled = false;
    const start = this.timers.now();
    this.pacer.started(start, dirty.length);
    if (this.pacer.isBig(dirty.length)) this.bigRunning = true;
    this.flushFrom(dirty, 0, new BatchCache(), start);
  };

  private flushFrom(dirty: Outbox[], from: number, cache: BatchCache, start: number): void {
    const end = Math.min(dirty.length, from + this.chunk);
    for (let i = from; i < end; i++) {
      const outbox = dirty[i]!;
      const pending = outbox.pending;
      if (pending.length === 0) continue; // discarded (or flushed by its close) since it was scheduled
      // One member's failing write must not end the pass for the rest, nor leave
      // the scheduler thinking a big pass is still running (no pass would follow).
      try {
        outbox.flush(cache.of(pending));
      } catch (error) {
        outbox.discard();
        outbox.target.onSendFailed(error);
      }
    }
    if (end < dirty.length) {
      this.timers.later(() => this.flushFrom(dirty, end, cache, start), 0);
      return;
    }
    const now = this.timers.now();
    this.pacer.ended(start, dirty.length, now);
    if (!this.pacer.isBig(dirty.length)) return;
    this.bigRunning = false;
    if (this.waitingForBig) {
      this.waitingForBig = false;
      this.timers.later(this.flushAll, this.pacer.waitMs(now));
    }
  }
}
