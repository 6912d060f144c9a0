/**
 * Pings that ride on data writes. A server's ping frame is unmasked and empty:
 * the same two bytes for every member, so when a member is due a ping and a
 * broadcast is about to be written to it anyway, the ping can follow the data
 * frame in that same write (ws-connection.ts). In a room with traffic, a round
 * of pings then costs no write of its own; without it, pinging 19,000 members
 * was 19,000 writes in one synchronous loop, a stall of several hundred ms in
 * which no broadcast went out.
 *
 * A member that gets no data write within `holdMs` of being asked is pinged on
 * its own, FLUSH_CHUNK members at a time with the event loop let in between, so
 * an idle room's round of pings never blocks a pass either. The room's pong
 * check still runs WS_PONG_TIMEOUT_MS after the round was asked for, so the
 * peer has that less `holdMs` to answer (holdMs is kept to a fraction of the
 * timeout by the room server).
 */
import type { Clock, Timer } from './clock.js';
import { FLUSH_CHUNK } from './outbox.js';

/** A server's ping frame: FIN, opcode 0x9, no payload, not masked. */
export const PING_FRAME: Buffer = Buffer.from([0x89, 0x00]);

/** What the carrier needs of a connection that can carry a ping in its next write. */
export interface PingCarried {
  /** True while a ping is owed and no write has carried it yet. */
  pingDue: boolean;
  /** Sends the owed ping on its own (clears pingDue). */
  sendPing(): void;
}

/** The longest a ping waits for a data write to carry it. */
export const MAX_PING_HOLD_MS = 1_000;

/**
 * How long a ping may wait for a write: at most a second, a quarter of the pong
 * timeout (the peer keeps most of it to answer) and half the ping interval (a
 * round of pings leaves before the next is asked for).
 */
export function pingHoldMs(limits: { pingIntervalMs: number; pongTimeoutMs: number }): number {
  return Math.floor(Math.min(MAX_PING_HOLD_MS, limits.pongTimeoutMs / 4, limits.pingIntervalMs / 2));
}

export class PingCarrier {
  private waiting: PingCarried[] = [];
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    readonly holdMs: number,
    private readonly chunk: number = FLUSH_CHUNK,
  ) {}

  /** Owes `target` a ping: carried by its next data write, or sent alone after holdMs. */
  want(target: PingCarried): void {
    if (target.pingDue) return; // the owed one answers for this one too
    target.pingDue = true;
    this.waiting.push(target);
    if (this.timer === undefined) {
      this.timer = this.clock.setTimeout(this.sendOwed, this.holdMs);
      this.timer.unref?.(); // never what keeps a stopping process alive
    }
  }

  private readonly sendOwed = (): void => {
    this.timer = undefined;
    const owed = this.waiting;
    this.waiting = [];
    this.sendFrom(owed, 0);
  };

  private sendFrom(owed: PingCarried[], start: number): void {
    const end = Math.min(owed.length, start + this.chunk);
    for (let i = start; i < end; i++) {
      const target = owed[i]!;
      if (target.pingDue) target.sendPing(); // else a data write carried it meanwhile
    }
    if (end < owed.length) this.clock.setTimeout(() => this.sendFrom(owed, end), 0);
  }
}
