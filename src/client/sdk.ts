/**
 * The chat client SDK, for browsers and Node: one ChatClient holds one logical
 * connection to a room. It joins, splits the server's newline-batched messages
 * into typed events, tracks the acks of what it sends, and after a drop
 * reconnects with exponential backoff and jitter, re-joining with `since` set to
 * the last message id it saw so the room fills the gap (message ids keep growing
 * across restarts of a room, so this holds after a 1001 too). It stops for good after
 * 4001 (not allowed) and 4003 (banned), where trying again cannot help.
 *
 * Typed from src/protocol/frames.ts, the same types the room uses. It depends on
 * no platform API but a WebSocket constructor: the browser's global one, or one
 * given in the options (`ws` in Node), and fetch for the HTTP fallback (src/client/transport.ts).
 */
import {
  type ChatMessage,
  type ClientFrame,
  type ErrorFrame,
  type FrameErrorCode,
  type ServerFrame,
  type UserInfo,
  type WelcomeFrame,
} from '../protocol/frames.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { describeClose, isFinalClose } from './close-codes.js';
import { Emitter } from './emitter.js';
import { splitFrames } from './frames.js';
import type { EventSourceConstructor } from './transport-http.js';
import { type TransportChoice, type TransportKind, TransportPicker } from './transport.js';

export type { ChatMessage, ErrorFrame, ServerFrame, UserInfo, WelcomeFrame } from '../protocol/frames.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { describeClose, isFinalClose } from './close-codes.js';
export type { EventSourceConstructor, TransportChoice, TransportKind };

/**
 * What the SDK needs of a WebSocket: the browser's and `ws`'s both fit. Handler
 * parameters are `never` so either implementation's event types are accepted.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Who joins: a signed token, a guest name, or neither (read-only, anonymous). */
export interface Identity {
  token?: string;
  name?: string;
}

export type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export type StateChange =
  | { state: 'connecting'; attempt: number }
  | { state: 'open'; attempt: number }
  | { state: 'reconnecting'; code: number; reason: string; explanation: string; attempt: number; delayMs: number }
  | { state: 'closed'; code: number; reason: string; explanation: string; final: boolean };

export interface ChatClientEvents {
  state: StateChange;
  welcome: WelcomeFrame;
  message: ChatMessage;
  ack: FrameOf<'ack'>;
  deleted: FrameOf<'deleted'>;
  cleared: FrameOf<'cleared'>;
  settings: FrameOf<'settings'>;
  timeout: FrameOf<'timeout'>;
  ban: FrameOf<'ban'>;
  presence: FrameOf<'presence'>;
  users: FrameOf<'users'>;
  system: FrameOf<'system'>;
  error: ErrorFrame;
}

/** How a send ended: the message's id, or why it was not accepted. */
export type SendResult = { ok: true; ref: string; id: number } | { ok: false; ref: string; error: SendError };

/** The room's refusal, or NOT_CONNECTED / DISCONNECTED when no answer could come. */
export interface SendError {
  code: FrameErrorCode | 'NOT_CONNECTED' | 'DISCONNECTED';
  message: string;
  retryAfterMs?: number;
  until?: number;
}

export interface ChatClientOptions {
  /**
   * The room's WebSocket URL, or a function returning it, called before every
   * (re)connect: a room that restarted may listen on another port.
   */
  url: string | (() => string | Promise<string>);
  /** Defaults to the global WebSocket (browsers, Node 22+). */
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
  /** Reconnect attempts in a row before giving up; default: no limit. */
  maxReconnects?: number;
  /** A connection not welcomed within this is dropped and retried (ms). */
  connectTimeoutMs?: number;
  /** For tests of the backoff: the source of jitter. */
  random?: () => number;
  /** 'auto' (default): WebSocket, falling back to the room's HTTP fallback (docs/protocol.md); or only one. */
  transport?: TransportChoice;
  /** With 'auto': a WebSocket not welcomed within this tries HTTP (ms, default 3000). */
  fallbackAfterMs?: number;
  /** For HTTP: the global fetch and EventSource by default (without EventSource, fetch reads the stream). */
  fetch?: typeof fetch;
  EventSource?: EventSourceConstructor;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const OPEN = 1;

export class ChatClient extends Emitter<ChatClientEvents> {
  private readonly transports: TransportPicker;
  private socket: WebSocketLike | null = null;
  private identity: Identity = {};
  private current: ConnectionState = 'idle';
  private attempt = 0;
  private lastId = 0;
  private refSeq = 0;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pending = new Map<string, (result: SendResult) => void>();
  private firstWelcome: { resolve: (w: WelcomeFrame) => void; reject: (e: Error) => void } | null = null;

  /** Who the room says we are, once welcomed. */
  me: UserInfo | null = null;
  room = '';
  viewers = 0;
  /** Slow mode in seconds (0: off). */
  slowSeconds = 0;

  constructor(private readonly options: ChatClientOptions) {
    super();
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.transports = new TransportPicker(options, Ctor); // throws when neither transport exists
  }

  /** The transport of the current (or next) connection: 'websocket', or 'http' on the fallback. */
  get transport(): TransportKind {
    return this.transports.current;
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The highest message id seen; a re-join asks for what came after it. */
  get lastMessageId(): number {
    return this.lastId;
  }

  /**
   * Connects and joins as `identity`; resolves with the first welcome. Rejects
   * only when the room refuses for good (4001, 4003) or close() is called first;
   * drops before that are retried.
   */
  join(identity: Identity = {}): Promise<WelcomeFrame> {
    if (this.current !== 'idle') return Promise.reject(new Error('join() may be called once per ChatClient'));
    this.identity = { ...identity };
    const welcomed = new Promise<WelcomeFrame>((resolve, reject) => (this.firstWelcome = { resolve, reject }));
    void this.connect();
    return welcomed;
  }

  /** Sends a chat message; resolves (never rejects) when the room acks or refuses it. */
  send(text: string, ref: string = `c${++this.refSeq}`): Promise<SendResult> {
    if (!this.write({ type: 'message', text, ref }))
      return Promise.resolve({ ok: false, ref, error: { code: 'NOT_CONNECTED', message: 'Not connected' } });
    return new Promise((resolve) => {
      this.pending.get(ref)?.({ ok: false, ref, error: { code: 'DISCONNECTED', message: 'Superseded' } });
      this.pending.set(ref, resolve);
    });
  }

  delete(id: number): boolean {
    return this.write({ type: 'delete', id });
  }

  timeout(user: string, seconds: number, reason?: string): boolean {
    return this.write(
      reason === undefined ? { type: 'timeout', user, seconds } : { type: 'timeout', user, seconds, reason },
    );
  }

  ban(user: string, reason?: string): boolean {
    return this.write(reason === undefined ? { type: 'ban', user } : { type: 'ban', user, reason });
  }

  unban(user: string): boolean {
    return this.write({ type: 'unban', user });
  }

  /** Slow mode: one message per user per `seconds` (0 turns it off). */
  slow(seconds: number): boolean {
    return this.write({ type: 'slow', seconds });
  }

  clear(): boolean {
    return this.write({ type: 'clear' });
  }

  /** Asks for the users list; the answer arrives as a `users` event. */
  users(): boolean {
    return this.write({ type: 'users' });
  }

  /**
   * While waiting to reconnect, tries at once instead of at the end of the delay
   * (a "Retry now" button, the browser coming back online); otherwise does nothing.
   */
  reconnectNow(): boolean {
    if (this.current !== 'reconnecting' || this.stopped) return false;
    clearTimeout(this.retryTimer);
    void this.connect();
    return true;
  }

  /** Closes for good (no reconnect); idempotent. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.connectTimer);
    const socket = this.socket;
    if (socket !== null) {
      socket.close(1000, 'Client closed');
      // The close event finishes the job; a socket still connecting may never send one.
      if (socket.readyState === OPEN) return;
      this.detach(socket);
    }
    this.finish(1000, 'Client closed', false);
  }

  // ── connection ────────────────────────────────────────────────────────────────
  private write(frame: ClientFrame): boolean {
    if (this.current !== 'open' || this.socket === null || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** `fallingBack`: the same attempt again over HTTP, so no new 'connecting'. */
  private async connect(fallingBack = false): Promise<void> {
    if (!fallingBack) this.setState({ state: 'connecting', attempt: this.attempt });
    let url: string;
    try {
      url = typeof this.options.url === 'string' ? this.options.url : await this.options.url();
    } catch (error) {
      if (!this.stopped) this.dropped(0, error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.stopped) return;
    let socket: WebSocketLike;
    try {
      socket = this.transports.open(url);
    } catch (error) {
      this.dropped(0, error instanceof Error ? error.message : String(error));
      return;
    }
    this.socket = socket;
    const fallback = this.transports.mayFallBack; // then a welcome is awaited only briefly
    let timedOut = false;
    this.connectTimer = setTimeout(
      () => {
        timedOut = fallback;
        if (this.socket === socket && this.current !== 'open') socket.close(4000, 'No welcome in time');
      },
      this.transports.welcomeWithinMs(this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    );
    socket.onerror = () => undefined; // a close event always follows
    socket.onopen = () => {
      const join: ClientFrame = { type: 'join', ...this.identity };
      if (this.lastId > 0) join.since = this.lastId;
      socket.send(JSON.stringify(join));
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (typeof event.data !== 'string') return;
      for (const frame of splitFrames(event.data)) this.receive(frame);
    };
    socket.onclose = (event: { code: number; reason: string }) => {
      if (this.socket !== socket) return;
      const welcomed = this.current === 'open';
      this.detach(socket);
      if (this.stopped) this.finish(event.code, event.reason, false);
      else if (!welcomed && this.transports.failed(event.code, timedOut)) void this.connect(true);
      else this.dropped(event.code, event.reason);
    };
  }

  private detach(socket: WebSocketLike): void {
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => undefined;
    if (this.socket === socket) this.socket = null;
    clearTimeout(this.connectTimer);
    for (const [ref, resolve] of this.pending)
      resolve({ ok: false, ref, error: { code: 'DISCONNECTED', message: 'The connection closed before an answer' } });
    this.pending.clear();
  }

  /** The connection ended without close() being called: reconnect, unless that cannot help. */
  private dropped(code: number, reason: string): void {
    const limit = this.options.maxReconnects ?? Infinity;
    if (isFinalClose(code) || this.attempt >= limit) {
      this.stopped = true;
      this.finish(code, reason, true);
      return;
    }
    const delayMs = backoffDelay(this.attempt, this.options.backoff, this.options.random);
    this.attempt += 1;
    this.setState({
      state: 'reconnecting',
      code,
      reason,
      explanation: describeClose(code, reason),
      attempt: this.attempt,
      delayMs,
    });
    this.retryTimer = setTimeout(() => void this.connect(), delayMs);
  }

  private finish(code: number, reason: string, final: boolean): void {
    if (this.current === 'closed') return;
    const explanation =
      final && this.attempt >= (this.options.maxReconnects ?? Infinity) && !isFinalClose(code)
        ? `Gave up after ${this.attempt} reconnect attempts: ${describeClose(code, reason)}`
        : describeClose(code, reason);
    this.setState({ state: 'closed', code, reason, explanation, final });
    this.firstWelcome?.reject(new Error(explanation));
    this.firstWelcome = null;
  }

  private setState(change: StateChange): void {
    this.current = change.state;
    this.emit('state', change);
  }

  // ── frames ────────────────────────────────────────────────────────────────────
  private receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        return this.welcomed(frame);
      case 'message':
        if (frame.id > this.lastId) this.lastId = frame.id;
        return this.emit('message', frame);
      case 'ack':
        this.settle(frame.ref, { ok: true, ref: frame.ref, id: frame.id });
        return this.emit('ack', frame);
      case 'error':
        if (frame.ref !== undefined) this.settle(frame.ref, { ok: false, ref: frame.ref, error: frame });
        return this.emit('error', frame);
      case 'presence':
        this.viewers = frame.viewers;
        return this.emit('presence', frame);
      case 'users':
        this.viewers = frame.viewers;
        return this.emit('users', frame);
      case 'settings':
        this.slowSeconds = frame.slow;
        return this.emit('settings', frame);
      case 'deleted':
        return this.emit('deleted', frame);
      case 'cleared':
        return this.emit('cleared', frame);
      case 'timeout':
        return this.emit('timeout', frame);
      case 'ban':
        return this.emit('ban', frame);
      case 'system':
        return this.emit('system', frame);
    }
  }

  private welcomed(frame: WelcomeFrame): void {
    clearTimeout(this.connectTimer);
    this.transports.welcomed();
    const newest = frame.history.reduce((max, m) => Math.max(max, m.id), 0);
    // Without recovery the history replaces what we had: the room may even have
    // restarted and begun its ids again, so the old last id no longer counts.
    this.lastId = frame.recovered === true ? Math.max(this.lastId, newest) : newest;
    this.me = frame.you;
    this.room = frame.room;
    this.viewers = frame.viewers;
    this.slowSeconds = frame.settings.slow;
    const attempt = this.attempt;
    this.attempt = 0;
    this.setState({ state: 'open', attempt });
    this.emit('welcome', frame);
    this.firstWelcome?.resolve(frame);
    this.firstWelcome = null;
  }

  private settle(ref: string, result: SendResult): void {
    const resolve = this.pending.get(ref);
    if (resolve === undefined) return;
    this.pending.delete(ref);
    resolve(result);
  }
}
