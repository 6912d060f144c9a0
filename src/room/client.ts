/**
 * One member of a room: its life as one state, its identity once joined, its
 * outbox, and the counters that decide when it has misbehaved enough to be
 * closed. Only this class writes its fields; the room asks it to move on
 * (beginJoin, joined, close) and the transport tells it what happened (pong, ended).
 *
 *   connecting ──join frame──► joining ──verified──► joined
 *        │                        │                    │
 *        └──── close() ───────────┴────────────────────┴──► closing ──transport ended──► closed
 *
 * A connection that ends without close() goes straight to closed.
 */
import type { RoomLimits } from '../config.js';
import { CloseCode, type UserInfo } from '../protocol/frames.js';
import type { Clock, Timer } from './clock.js';
import type { Connection } from './connection.js';
import type { Standing } from './identity.js';
import { DrainWatch } from './drain-watch.js';
import { type EncodedFrame, type FlushScheduler, Outbox, type OutboxTarget } from './outbox.js';
import { WindowCounter } from './rate-limiter.js';

export type ClientState = 'connecting' | 'joining' | 'joined' | 'closing' | 'closed';

/** Refusals are counted over this window (the protocol's "in 10 s"). */
const REFUSAL_WINDOW_MS = 10_000;
const MAX_BAD_FRAMES = 10;
const MAX_REFUSALS = 100;
/** A closing connection whose peer never answers the close is dropped after this. */
const CLOSE_GRACE_MS = 5_000;
/** Frames kept from a client whose join is still being verified. */
export const MAX_EARLY_FRAMES = 20;
/** The standing of every member whose token said nothing of it (guests, anonymous readers). */
const NO_STANDING: Standing = Object.freeze({});
const hasStanding = (standing: Standing) => Object.keys(standing).length > 0;

export interface ClientOptions {
  scheduler: FlushScheduler;
  limits: RoomLimits;
  clock: Clock;
  /** The room's counters; a slow reader cut off is counted there. */
  counters?: { slowReaders: number };
  /** The client's address (src/room/client-address.ts), which guest bans may hold on to. */
  address?: string;
}

export class Client implements OutboxTarget {
  /** The client's address ('' when not known). */
  readonly address: string;
  private current: ClientState = 'connecting';
  private who: UserInfo | null = null;
  private standingOf: Standing = NO_STANDING;
  /** Frames that arrived while the join was being verified, replayed once joined (null: none). */
  private early: string[] | null = null;
  private joinTimer: Timer | undefined;
  private graceTimer: Timer | undefined;
  /**
   * Pings sent, and how many had been sent when the last pong came (a pong
   * answers every ping before it). A check asks about one ping by its number, so
   * a newer ping that has not been answered yet never fails an older one's check
   * (with WS_PONG_TIMEOUT_MS a multiple of WS_PING_INTERVAL_MS, the check of one
   * ping runs right after the next ping went out).
   */
  private pingsSent = 0;
  private pingsAnswered = 0;
  private readonly outbox: Outbox;
  /**
   * The drain watch and the refusal counters exist only while needed (bytes waiting,
   * a frame refused): an idle member of a room of thousands holds neither, about
   * 150 bytes less each (docs/benchmarks.md, memory per idle connection).
   */
  private drain: DrainWatch | undefined;
  private readonly slowReaderMs: number;
  private readonly clock: Clock;
  private readonly counters: { slowReaders: number } | undefined;
  private badFrames: WindowCounter | undefined;
  private refusals: WindowCounter | undefined;

  constructor(
    readonly connection: Connection,
    options: ClientOptions,
  ) {
    this.clock = options.clock;
    this.address = options.address ?? '';
    this.counters = options.counters;
    this.outbox = new Outbox(this, options.scheduler, options.limits.slowReaderBytes);
    this.slowReaderMs = options.limits.slowReaderMs;
    this.joinTimer = this.clock.setTimeout(
      () => this.close(CloseCode.JOIN_TIMEOUT, 'No join in time'),
      options.limits.joinTimeoutMs,
    );
  }

  get state(): ClientState {
    return this.current;
  }

  /** Who the room says this client is; set once joined, kept while closing. */
  get user(): UserInfo | null {
    return this.who;
  }

  /** What the join token said of the user (follower since, subscriber); empty for guests. */
  get standing(): Standing {
    return this.standingOf;
  }

  get isJoined(): boolean {
    return this.current === 'joined';
  }

  // ── joining ───────────────────────────────────────────────────────────────────
  /** A join frame arrived: true when this connection may join now (it has not tried yet). */
  beginJoin(): boolean {
    if (this.current !== 'connecting') return false;
    this.current = 'joining';
    return true;
  }

  /** The join was refused in a way the client may put right (a name taken): it may send another join. */
  joinRefused(): void {
    if (this.current !== 'joining') return;
    this.current = 'connecting';
    this.early = null; // sent for the join that failed
  }

  /** Keeps a frame sent while the join is verified; false when too many are waiting. */
  keepEarly(data: string): boolean {
    const early = (this.early ??= []);
    if (early.length >= MAX_EARLY_FRAMES) return false;
    early.push(data);
    return true;
  }

  /** The join was verified: returns the frames kept meanwhile, to handle in order (none if no longer joining). */
  joined(user: UserInfo, standing: Standing = NO_STANDING): string[] {
    if (this.current !== 'joining') return [];
    this.current = 'joined';
    this.who = user;
    // Most members (guests, anonymous readers) have no standing: one shared empty object for them all.
    this.standingOf = hasStanding(standing) ? standing : NO_STANDING;
    this.clock.clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
    const early = this.early ?? [];
    this.early = null;
    return early;
  }

  // ── sending ───────────────────────────────────────────────────────────────────
  get bufferedAmount(): number {
    return this.connection.bufferedAmount;
  }

  send(data: Buffer): void {
    this.connection.send(data);
  }

  push(frame: EncodedFrame): void {
    if (this.current !== 'closing' && this.current !== 'closed') this.outbox.push(frame);
  }

  onTooSlow(): void {
    this.cutSlowReader('Too slow a reader', false);
  }

  /** A write to this connection threw: it is ended at once, its frames dropped (the room goes on). */
  onSendFailed(): void {
    if (this.current === 'closed') return;
    this.outbox.discard();
    this.connection.terminate();
  }

  /**
   * The room's periodic check (src/room/drain-watch.ts): a socket that has had
   * bytes waiting without draining for SLOW_READER_MS is cut like one over the
   * byte limit. True when this check closed it.
   */
  checkDrain(): boolean {
    if (this.current === 'closing' || this.current === 'closed') return false;
    const buffered = this.connection.bufferedAmount;
    // Drained: a watch would start over anyway, so none is kept.
    if (buffered === 0) {
      this.drain = undefined;
      return false;
    }
    this.drain ??= new DrainWatch(this.slowReaderMs);
    if (!this.drain.stalled(this.clock.now(), buffered)) return false;
    this.cutSlowReader(`Too slow a reader: nothing drained in ${this.slowReaderMs} ms`, true);
    return true;
  }

  /**
   * A reader that stopped reading will not read the close frame either (it waits
   * behind everything the kernel holds): it is given at most SLOW_READER_MS, not
   * the usual grace, before the connection is ended. One that has not drained at
   * all for SLOW_READER_MS is then reset, so the kernel frees its send buffer at
   * once instead of holding it for an orphaned socket; one cut by the byte limit
   * may still be reading, and gets an orderly end after its close frame.
   */
  private cutSlowReader(reason: string, stalled: boolean): void {
    if (this.current === 'closing' || this.current === 'closed') return;
    if (this.counters !== undefined) this.counters.slowReaders += 1;
    this.close(CloseCode.SLOW_READER, reason, {
      flush: false,
      graceMs: Math.min(CLOSE_GRACE_MS, this.slowReaderMs),
      reset: stalled,
    });
  }

  /** Counts a refused frame; true when the connection has now been refused too often. */
  refused(badFrame: boolean): boolean {
    const now = this.clock.now();
    const refusals = (this.refusals ??= new WindowCounter(REFUSAL_WINDOW_MS)).add(now);
    const bad = badFrame ? (this.badFrames ??= new WindowCounter(REFUSAL_WINDOW_MS)).add(now) : 0;
    return bad >= MAX_BAD_FRAMES || refusals >= MAX_REFUSALS;
  }

  // ── liveness ──────────────────────────────────────────────────────────────────
  /** Sends a liveness check; false when the connection is not open to take one. */
  ping(): boolean {
    if (this.current === 'closed' || !this.connection.isOpen) return false;
    this.pingsSent += 1;
    this.connection.ping();
    return true;
  }

  /** The number of the latest ping sent, for checkPong. */
  get lastPing(): number {
    return this.pingsSent;
  }

  pong(): void {
    this.pingsAnswered = this.pingsSent;
  }

  /** Ends a connection that has not answered ping number `ping` (by default the latest). */
  checkPong(ping: number = this.pingsSent): void {
    if (this.pingsAnswered < ping && this.current !== 'closed') this.connection.terminate();
  }

  // ── closing ───────────────────────────────────────────────────────────────────
  /**
   * Closes once. Frames already queued go out first (so a client sees the errors
   * that led to its closing), except for a reader too slow to take them. A peer
   * that never answers the close is cut off.
   */
  close(code: number, reason: string, options: { flush?: boolean; graceMs?: number; reset?: boolean } = {}): void {
    if (this.current === 'closing' || this.current === 'closed') return;
    this.current = 'closing';
    this.early = null;
    this.clock.clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
    if (options.flush === false) this.outbox.discard();
    else {
      // A write that throws here must not stop the close (nor a closeAll of every member).
      try {
        this.outbox.flushNow();
      } catch {
        this.outbox.discard();
      }
    }
    const end =
      options.reset === true && this.connection.reset
        ? () => this.connection.reset!()
        : () => this.connection.terminate();
    this.graceTimer = this.clock.setTimeout(end, options.graceMs ?? CLOSE_GRACE_MS);
    this.graceTimer.unref?.();
    try {
      this.connection.close(code, closeReason(reason));
    } catch {
      this.connection.terminate(); // never leave a connection half-closed
    }
  }

  /** The transport has ended: nothing left to wait for. */
  ended(): void {
    this.current = 'closed';
    this.early = null;
    this.outbox.discard();
    this.clock.clearTimeout(this.joinTimer);
    this.clock.clearTimeout(this.graceTimer);
    this.joinTimer = this.graceTimer = undefined;
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
