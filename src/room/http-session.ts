/**
 * A room member on the HTTP fallback: a `Connection` (src/room/connection.ts)
 * whose frames leave as Server-Sent Events on the session's event stream and
 * arrive as POSTs (src/room/http-routes.ts). The room's logic cannot tell it
 * from a WebSocket member.
 *
 * A session lives between event streams: while none is open, what the room sends
 * waits here (cut with 4009 past SLOW_READER_BYTES, as a socket's backlog is),
 * and after HTTP_SESSION_IDLE_S without a stream the session ends as a leave. A
 * new stream replaces an open one; one that names Last-Event-ID first gets the
 * room's messages after that id, then what waited here, less those messages.
 *
 * HttpSessions is the room's table of sessions: their unguessable ids, and the
 * keep-alive comment written to every open stream.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type ChatMessage, FRAME_SEPARATOR } from '../protocol/frames.js';
import type { Client } from './client.js';
import type { Clock, Timer } from './clock.js';
import type { Connection } from './connection.js';
import { SSE_KEEP_ALIVE, sseBatch, sseClose, sseEvent } from './sse.js';

/** How a join over HTTP ended: welcomed, refused as a frame (a bad join), or closed (4001, 4003, 1001…). */
export type JoinOutcome =
  | { kind: 'welcome'; welcome: unknown }
  | { kind: 'refused'; error: { code: string; message: string } }
  | { kind: 'closed'; code: number; reason: string };

type Phase = 'joining' | 'open' | 'closing' | 'closed';

export interface HttpSessionOptions {
  clock: Clock;
  /** A session without an event stream for this long ends (HTTP_SESSION_IDLE_S). */
  idleMs: number;
  /** What may wait for a session without a stream before it is cut with 4009. */
  slowReaderBytes: number;
  /** A comment line goes to every open stream this often. */
  keepAliveMs?: number;
  /** A session has ended (left, idle, closed, cut): the room detaches its member. */
  ended(session: HttpSession): void;
}

/** The protocol's keep-alive interval for event streams. */
export const KEEP_ALIVE_MS = 15_000;

export class HttpSession implements Connection {
  /** The room's member over this session; set once, right after construction. */
  client: Client | null = null;
  /** Settles once: the welcome, or why the join failed; dropped once taken (it holds the welcome's history). */
  private joinOutcome: Promise<JoinOutcome> | null;
  private phase: Phase = 'joining';
  private stream: ServerResponse | null = null;
  /** Outbox batches (raw frame lines) sent while no stream was open. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private idleTimer: Timer | undefined;
  private settle: (outcome: JoinOutcome) => void = () => undefined;

  constructor(
    readonly id: string,
    private readonly options: HttpSessionOptions,
  ) {
    this.joinOutcome = new Promise((resolve) => (this.settle = resolve));
  }

  /** How the join ended (once: the session keeps nothing of it afterwards). */
  joined(): Promise<JoinOutcome> {
    const outcome = this.joinOutcome ?? Promise.resolve<JoinOutcome>({ kind: 'closed', code: 1006, reason: '' });
    this.joinOutcome = null;
    return outcome;
  }

  get bufferedAmount(): number {
    // What waits here without a stream is bounded in send(); only a stream can drain.
    return this.stream?.writableLength ?? 0;
  }

  get isOpen(): boolean {
    return this.phase === 'joining' || this.phase === 'open';
  }

  /** Welcomed and not closing: event streams and sends are taken. */
  get isActive(): boolean {
    return this.phase === 'open';
  }

  send(data: Buffer): void {
    if (this.phase === 'joining') return this.sendWhileJoining(data);
    if (this.phase !== 'open') return;
    if (this.stream !== null) {
      this.stream.write(sseBatch(data));
      return;
    }
    this.hold(data);
  }

  /** The first frames of a join: its welcome (or error) answers the POST; the rest waits for the stream. */
  private sendWhileJoining(data: Buffer): void {
    const rest: string[] = [];
    for (const json of data.toString().split(FRAME_SEPARATOR)) {
      if (json.length === 0) continue;
      if (this.phase !== 'joining') {
        rest.push(json);
        continue;
      }
      const frame = JSON.parse(json) as { type: string; code?: string; message?: string };
      if (frame.type === 'welcome') {
        this.phase = 'open';
        this.startIdle();
        this.settle({ kind: 'welcome', welcome: frame });
        this.settle = () => undefined;
      } else if (frame.type === 'error') {
        this.settle({ kind: 'refused', error: { code: frame.code ?? 'BAD_FRAME', message: frame.message ?? '' } });
      } else {
        rest.push(json);
      }
    }
    if (rest.length > 0 && this.phase === 'open') this.hold(Buffer.from(rest.join(FRAME_SEPARATOR)));
  }

  private hold(data: Buffer): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes > this.options.slowReaderBytes) this.client?.onTooSlow();
  }

  /**
   * Makes `res` (headers already written) the session's event stream. With
   * `lastEventId`, the room's messages after it go first (`recover`), and what
   * waited here is sent without the messages they covered.
   */
  attach(res: ServerResponse, lastEventId: number | undefined, recover: (since: number) => ChatMessage[]): void {
    const older = this.stream;
    this.stream = res;
    older?.end();
    this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    res.on('close', () => this.streamEnded(res));
    let skipThrough = 0;
    if (lastEventId !== undefined) {
      let replay = '';
      for (const message of recover(lastEventId)) {
        replay += sseEvent(JSON.stringify(message));
        skipThrough = Math.max(skipThrough, message.id);
      }
      skipThrough = Math.max(skipThrough, lastEventId);
      if (replay.length > 0) res.write(replay);
    }
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const batch of pending) res.write(sseBatch(batch, skipThrough));
  }

  private streamEnded(res: ServerResponse): void {
    if (this.stream !== res) return; // replaced by a newer stream
    this.stream = null;
    if (this.phase === 'closing') this.finish();
    else if (this.phase === 'open') this.startIdle();
  }

  private startIdle(): void {
    this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.options.clock.setTimeout(() => this.finish(), this.options.idleMs);
    this.idleTimer.unref?.();
  }

  /** The keep-alive comment, on an open stream. */
  keepAlive(): void {
    this.stream?.write(SSE_KEEP_ALIVE);
  }

  /** The member leaves (DELETE /http/session). */
  leave(): void {
    this.stream?.end();
    this.finish();
  }

  close(code: number, reason: string): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    const joining = this.phase === 'joining';
    this.phase = 'closing';
    if (joining) this.settle({ kind: 'closed', code, reason });
    const stream = this.stream;
    if (stream === null) return this.finish();
    // The stream's end finishes the session; the client's grace timer terminates one that never drains.
    stream.end(sseClose(code, reason));
  }

  terminate(): void {
    this.stream?.destroy();
    this.finish();
  }

  reset(): void {
    const socket = this.stream?.socket as Socket | null | undefined;
    if (socket && !socket.destroyed) socket.resetAndDestroy();
    this.terminate();
  }

  ping(): void {
    // Liveness of an HTTP member is its stream's socket and the idle timer.
    this.client?.pong();
  }

  private finish(): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'joining') this.settle({ kind: 'closed', code: 1006, reason: 'Session ended' });
    this.phase = 'closed';
    this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.pending = [];
    this.pendingBytes = 0;
    this.stream = null;
    this.options.ended(this);
  }
}

/** The room's HTTP sessions by id, and the keep-alive of their streams. */
export class HttpSessions {
  private readonly sessions = new Map<string, HttpSession>();
  private keepAliveTimer: Timer | undefined;
  private stopped = false;
  /** What every session of this table is given (one object for all). */
  private readonly sessionOptions: HttpSessionOptions;

  constructor(private readonly options: HttpSessionOptions) {
    this.sessionOptions = {
      ...options,
      ended: (ended) => {
        this.sessions.delete(ended.id);
        options.ended(ended);
      },
    };
    this.scheduleKeepAlive();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A new session with an unguessable id (144 random bits). */
  create(): HttpSession {
    const id = randomBytes(18).toString('base64url');
    const session = new HttpSession(id, this.sessionOptions);
    this.sessions.set(id, session);
    return session;
  }

  /** The session of that id, if it is still live. */
  get(id: string | null): HttpSession | undefined {
    return id === null ? undefined : this.sessions.get(id);
  }

  private scheduleKeepAlive(): void {
    if (this.stopped) return;
    this.keepAliveTimer = this.options.clock.setTimeout(() => {
      for (const session of this.sessions.values()) session.keepAlive();
      this.scheduleKeepAlive();
    }, this.options.keepAliveMs ?? KEEP_ALIVE_MS);
    this.keepAliveTimer.unref?.();
  }

  /** Stops the keep-alive (the room is closing; its members are closed by the room). */
  stop(): void {
    this.stopped = true;
    this.options.clock.clearTimeout(this.keepAliveTimer);
  }
}
