/**
 * One WebSocket connection in a room: its identity once joined, its outbox, and
 * the counters that decide when it has misbehaved enough to be closed.
 */
import type { WebSocket } from 'ws';
import type { RoomLimits } from '../config.js';
import { CloseCode, type UserInfo } from '../protocol/frames.js';
import { type EncodedFrame, type FlushScheduler, Outbox, type OutboxTarget } from './outbox.js';
import { WindowCounter } from './rate-limiter.js';

/** Refusals are counted over this window (the protocol's "in 10 s"). */
const REFUSAL_WINDOW_MS = 10_000;
const MAX_BAD_FRAMES = 10;
const MAX_REFUSALS = 100;
/** A closing socket whose peer never answers the close frame is dropped after this. */
const CLOSE_GRACE_MS = 5_000;

export class Client implements OutboxTarget {
  user: UserInfo | null = null;
  /** Set while a join is being verified, so a second join is refused. */
  joining = false;
  /** False after a ping until the pong arrives. */
  answeredPing = true;
  closing = false;
  joinTimer: NodeJS.Timeout | undefined;
  /** Frames that arrived while the join was being verified, replayed once joined. */
  readonly early: string[] = [];
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly outbox: Outbox;
  private readonly badFrames = new WindowCounter(REFUSAL_WINDOW_MS);
  private readonly refusals = new WindowCounter(REFUSAL_WINDOW_MS);

  constructor(
    readonly socket: WebSocket,
    scheduler: FlushScheduler,
    limits: RoomLimits,
    /** The room's counters; a slow reader cut off is counted there. */
    private readonly counters?: { slowReaders: number },
  ) {
    this.outbox = new Outbox(this, scheduler, limits.slowReaderBytes);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(data: Buffer): void {
    // A text frame from bytes already UTF-8: ws writes the (shared) buffer as it is.
    this.socket.send(data, { binary: false });
  }

  push(frame: EncodedFrame): void {
    if (!this.closing) this.outbox.push(frame);
  }

  onTooSlow(): void {
    if (this.counters !== undefined && !this.closing) this.counters.slowReaders += 1;
    this.close(CloseCode.SLOW_READER, 'Too slow a reader', { flush: false });
  }

  /** Counts a refused frame; true when the connection has now been refused too often. */
  refused(badFrame: boolean, now: number): boolean {
    const refusals = this.refusals.add(now);
    const bad = badFrame ? this.badFrames.add(now) : 0;
    return bad >= MAX_BAD_FRAMES || refusals >= MAX_REFUSALS;
  }

  /**
   * Closes once. Frames already queued go out first (so a client sees the errors
   * that led to its closing), except for a reader too slow to take them. A peer
   * that never answers the close is cut off.
   */
  close(code: number, reason: string, options: { flush?: boolean } = {}): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.joinTimer);
    if (options.flush === false) this.outbox.discard();
    else this.outbox.flushNow();
    this.graceTimer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    this.graceTimer.unref();
    try {
      this.socket.close(code, closeReason(reason));
    } catch {
      this.socket.terminate(); // never leave a connection half-closed
    }
  }

  /** The socket has closed: nothing left to wait for. */
  closed(): void {
    clearTimeout(this.joinTimer);
    clearTimeout(this.graceTimer);
  }
}

/** A close reason must fit in 123 bytes of UTF-8 (RFC 6455); longer ones are cut at a character boundary. */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let cut = '';
  for (const ch of reason) {
    if (Buffer.byteLength(cut + ch) > 120) break;
    cut += ch;
  }
  return `${cut}…`;
}
