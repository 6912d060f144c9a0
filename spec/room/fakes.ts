/**
 * A room driven by hand, for unit tests: a fake clock the test moves, fake
 * connections that keep what the room sent them, and the local engine with a
 * record sink the test can read. Waits are on events (a frame arriving), never
 * on time; `drain()` lets the room's per-pass flush run so a test can assert
 * that something was not sent.
 */
import type { RoomAccess, RoomLimits } from '../../src/config.js';
import type { ChatRecord, IdGrant, Writable } from '../../src/protocol/room-messages.js';
import { Client } from '../../src/room/client.js';
import type { Clock, Timer } from '../../src/room/clock.js';
import type { Connection } from '../../src/room/connection.js';
import { LocalEngine } from '../../src/room/local-engine.js';
import { FlushScheduler } from '../../src/room/outbox.js';
import { Room } from '../../src/room/room.js';
import { AUTH_SECRET, token } from '../helpers/tokens.js';

export interface Frame {
  type: string;
  [key: string]: unknown;
}

interface FakeTimer extends Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Time that moves only when the test says so. */
export class FakeClock implements Clock {
  time = 1_750_000_000_000;
  private timers: FakeTimer[] = [];
  private seq = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer !== undefined) (timer as FakeTimer).cancelled = true;
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time on by `ms`, firing every timer that falls due, in order (also ones set meanwhile). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }
}

/** A connection that keeps every frame the room sent it. */
export class FakeConnection implements Connection {
  readonly frames: Frame[] = [];
  bufferedAmount = 0;
  isOpen = true;
  closed: { code: number; reason: string } | null = null;
  terminated = false;
  pings = 0;
  private waiters: Array<() => void> = [];

  send(data: Buffer): void {
    for (const line of data.toString().split('\n')) this.frames.push(JSON.parse(line) as Frame);
    for (const wake of this.waiters.splice(0)) wake();
  }

  close(code: number, reason: string): void {
    this.isOpen = false;
    this.closed ??= { code, reason };
    for (const wake of this.waiters.splice(0)) wake();
  }

  terminate(): void {
    this.isOpen = false;
    this.terminated = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  ping(): void {
    this.pings += 1;
  }

  /** Resolves when `check` holds, re-checked whenever something arrives; fails after a few seconds. */
  waitFor<T>(what: string, check: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const guard = setTimeout(
        () => reject(new Error(`no ${what}; got ${JSON.stringify(this.frames.slice(-5))}`)),
        5_000,
      );
      guard.unref();
      const test = (): void => {
        const value = check();
        if (value === undefined) {
          this.waiters.push(test);
          return;
        }
        clearTimeout(guard);
        resolve(value);
      };
      test();
    });
  }
}

export const LIMITS: RoomLimits = {
  maxConnections: 1000,
  maxFrameBytes: 16 * 1024,
  maxMessageChars: 500,
  rateLimitMessages: 20,
  rateLimitModMessages: 100,
  rateLimitWindowMs: 30_000,
  historyOnJoin: 50,
  recoveryWindow: 1000,
  joinTimeoutMs: 10_000,
  pingIntervalMs: 25_000,
  pongTimeoutMs: 10_000,
  slowReaderBytes: 1024 * 1024,
  slowReaderMs: 5_000,
  presenceIntervalMs: 1_000,
  joinRatePerS: 0,
  joinBurst: 1,
  httpSessionIdleMs: 30_000,
};

export const ACCESS: RoomAccess = {
  allowedOrigins: [],
  authSecret: AUTH_SECRET,
  allowGuests: true,
  allowAnonymous: true,
};

export const ROOM = 'unitroom';

/** One member of a test room: its connection, its client, and ways to talk and wait. */
export class Member {
  constructor(
    private readonly room: Room,
    readonly connection: FakeConnection,
    readonly client: Client,
  ) {}

  get frames(): Frame[] {
    return this.connection.frames;
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  send(frame: object | string): void {
    this.room.receive(this.client, typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame of `type` (matching) after the `after`-th frame. */
  next(type: string, match: (f: Frame) => boolean = () => true, after = 0): Promise<Frame> {
    return this.connection.waitFor(`"${type}" frame`, () =>
      this.frames.slice(after).find((f) => f.type === type && match(f)),
    );
  }

  closedWith(): Promise<{ code: number; reason: string }> {
    return this.connection.waitFor('close', () => this.connection.closed ?? undefined);
  }

  /** The transport ends (the peer answered the close, or went away). */
  end(): void {
    this.room.detach(this.client);
  }
}

export interface TestRoom {
  room: Room;
  clock: FakeClock;
  engine: LocalEngine;
  records: ChatRecord[];
  /** A connection that has not joined. */
  connect(): Member;
  /** A joined member: a guest with `name`, or a token user with `sub` and `role`. */
  join(who?: { name?: string; sub?: string; role?: string; since?: number }): Promise<Member>;
}

export function testRoom(
  options: { limits?: Partial<RoomLimits>; ids?: IdGrant; writable?: Writable; lastId?: number } = {},
): TestRoom {
  const clock = new FakeClock();
  const limits = { ...LIMITS, ...options.limits };
  const records: ChatRecord[] = [];
  const engine = new LocalEngine(
    { add: (record) => records.push(record) },
    {
      lastId: options.lastId ?? 0,
      ids: options.ids ?? { through: Number.MAX_SAFE_INTEGER },
      writable: options.writable ?? { writable: true, retryAfterMs: 0 },
    },
  );
  const room = new Room(ROOM, limits, ACCESS, engine, { viewers: () => undefined }, clock);
  const scheduler = new FlushScheduler();
  const connect = (): Member => {
    const connection = new FakeConnection();
    const client = new Client(connection, { scheduler, limits, clock, counters: room.counters });
    room.attach(client);
    return new Member(room, connection, client);
  };
  const join: TestRoom['join'] = async (who = {}) => {
    const member = connect();
    const frame: Record<string, unknown> = { type: 'join' };
    if (who.sub !== undefined)
      frame.token = await token({ sub: who.sub, name: who.sub, role: who.role ?? 'viewer', room: ROOM });
    else if (who.name !== undefined) frame.name = who.name;
    if (who.since !== undefined) frame.since = who.since;
    member.send(frame);
    await member.next('welcome');
    return member;
  };
  return { room, clock, engine, records, connect, join };
}

/** Lets the room's pending work run (verifications, the per-pass flush) before asserting nothing came. */
export async function drain(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** One frame of each kind only a moderator may send: refused FORBIDDEN to anyone else. */
export const MODERATOR_FRAMES = [
  { type: 'delete', id: 1 },
  { type: 'timeout', user: 'x', seconds: 5 },
  { type: 'ban', user: 'x' },
  { type: 'unban', user: 'x' },
  { type: 'slow', seconds: 5 },
  { type: 'clear' },
] as const;
