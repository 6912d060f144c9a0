/**
 * The chat client SDK, for browsers and Node: one ChatClient holds one logical
 * connection to a room. It joins, splits the server's newline-batched messages
 * into typed events, tracks the acks of what it sends, and after a drop
 * reconnects (src/client/reconnect.ts: the first attempt spread over the room's
 * rejoin window, then exponential backoff with jitter, or, when the room refused the
 * join at its rate, the Retry-After it asked for), re-joining with `since` set to
 * the last message id it saw so the room fills the gap (message ids keep growing
 * across restarts of a room, so this holds after a 1001 too). It stops for good after
 * 4001 (not allowed) and 4003 (banned), where trying again cannot help.
 *
 * Typed from src/protocol/frames.ts, the same types the room uses. It depends on
 * no platform API but a WebSocket constructor: the browser's global one, or one
 * given in the options (`ws` in Node), and fetch for the HTTP fallback (src/client/transport.ts).
 */
import type { AnnouncementColor, ClientFrame, ServerFrame, UserInfo, WelcomeFrame } from '../protocol/frames.js';
import { describeClose, isFinalClose } from './close-codes.js';
import { Emitter } from './emitter.js';
import { SAME_NAME_EVENTS, splitFrames } from './frames.js';
import type {
  ChatClientEvents,
  ChatClientOptions,
  ConnectionState,
  Identity,
  MessageOptions,
  SendResult,
  StateChange,
  WebSocketConstructor,
  WebSocketLike,
} from './sdk-types.js';
import { ReconnectSchedule } from './reconnect.js';
import { watchRefusal } from './retry-after.js';
import { ChatModesApi } from './sdk-modes.js';
import type { EventSourceConstructor } from './transport-http.js';
import { type TransportChoice, type TransportKind, TransportPicker } from './transport.js';

export type {
  AnnouncementColor,
  ChatMessage,
  ChatModes,
  ErrorFrame,
  MessageExtras,
  PinnedFrame,
  ReplyParent,
  ServerFrame,
  UserInfo,
  WelcomeFrame,
} from '../protocol/frames.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { describeClose, isFinalClose } from './close-codes.js';
export type * from './sdk-types.js';
export type { EventSourceConstructor, TransportChoice, TransportKind };

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const OPEN = 1;

export class ChatClient extends Emitter<ChatClientEvents> {
  private readonly transports: TransportPicker;
  private socket: WebSocketLike | null = null;
  private identity: Identity = {};
  private current: ConnectionState = 'idle';
  /** When to try again after a drop: the room's rejoin window, its Retry-After, or backoff (reconnect.ts). */
  private readonly retries: ReconnectSchedule;
  private lastId = 0;
  private refSeq = 0;
  private stopped = false;
  /** The room refused the guest name and waits for another (rename) on this connection. */
  private nameRefused = false;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pending = new Map<string, (result: SendResult) => void>();
  private firstWelcome: { resolve: (w: WelcomeFrame) => void; reject: (e: Error) => void } | null = null;

  /** Who the room says we are, once welcomed. */
  me: UserInfo | null = null;
  /** A guest's token from the last welcome (undefined for others). */
  guestToken: string | undefined;
  /** The chat modes' frames: modes, shield mode, warnings, review decisions (sdk-modes.ts). */
  readonly modes = new ChatModesApi((frame) => this.write(frame));
  room = '';
  viewers = 0;
  /** Slow mode in seconds (0: off). */
  slowSeconds = 0;

  constructor(private readonly options: ChatClientOptions) {
    super();
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.transports = new TransportPicker(options, Ctor); // throws when neither transport exists
    this.retries = new ReconnectSchedule(options.backoff, options.random);
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

  /**
   * After the room refused the guest name (an `error` event with NAME_INVALID,
   * NAME_TAKEN or NAME_RESERVED, before any welcome): tries `name` on the same
   * connection. False when there is no refused join waiting.
   */
  rename(name: string): boolean {
    const socket = this.socket;
    if (!this.nameRefused || socket === null || socket.readyState !== OPEN) return false;
    this.nameRefused = false;
    this.identity.name = name;
    socket.send(JSON.stringify({ type: 'join', ...this.identity }));
    return true;
  }

  /** Sends a chat message (a reply, an action line); resolves (never rejects) when the room acks or refuses it. */
  send(text: string, ref: string = `c${++this.refSeq}`, options: MessageOptions = {}): Promise<SendResult> {
    const frame: ClientFrame = { type: 'message', text, ref };
    if (options.replyTo !== undefined) frame.replyTo = options.replyTo;
    if (options.action === true) frame.action = true;
    return this.request(frame, ref);
  }

  /** A mod's or host's announcement, shown in `color`. */
  announce(text: string, color: AnnouncementColor = 'primary', ref: string = `c${++this.refSeq}`): Promise<SendResult> {
    return this.request({ type: 'announce', text, color, ref }, ref);
  }

  /**
   * A paid message: resolves once the credit service has paid it and the room
   * shows it, or with the refusal. After UNAVAILABLE, send again with the same
   * `ref`: it is never charged twice.
   */
  tip(amount: number, text: string, ref: string = `t${Date.now().toString(36)}${++this.refSeq}`): Promise<SendResult> {
    return this.request({ type: 'tip', amount, text, ref }, ref);
  }

  /** Pins message `id` for `seconds` (without: until unpinned); mods and hosts. */
  pin(id: number, seconds?: number): boolean {
    return this.write(seconds === undefined ? { type: 'pin', id } : { type: 'pin', id, seconds });
  }

  unpin(): boolean {
    return this.write({ type: 'unpin' });
  }

  private request(frame: ClientFrame, ref: string): Promise<SendResult> {
    if (!this.write(frame))
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
    this.retries.cancel();
    void this.connect();
    return true;
  }

  /** Closes for good (no reconnect); idempotent. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.retries.cancel();
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
    if (this.stopped) return;
    if (!fallingBack) this.setState({ state: 'connecting', attempt: this.retries.attempt });
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
    watchRefusal(socket, (ms) => this.retries.refused(ms));
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
    // A refused name left unchanged would be refused again on every reconnect.
    if (isFinalClose(code) || this.retries.attempt >= limit || this.nameRefused) {
      this.stopped = true;
      this.finish(code, reason, true);
      return;
    }
    const plan = this.retries.next();
    const explanation = describeClose(code, reason);
    const change: StateChange = {
      state: 'reconnecting',
      code,
      reason,
      explanation,
      attempt: this.retries.attempt,
      ...plan,
    };
    this.setState(change);
    if (this.stopped) return; // a state listener closed the client
    this.retries.schedule(plan.delayMs, () => void this.connect());
  }

  private finish(code: number, reason: string, final: boolean): void {
    if (this.current === 'closed') return;
    const explanation =
      final && this.retries.attempt >= (this.options.maxReconnects ?? Infinity) && !isFinalClose(code)
        ? `Gave up after ${this.retries.attempt} reconnect attempts: ${describeClose(code, reason)}`
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
        if (frame.code.startsWith('NAME_') && this.current !== 'open') {
          // The connection stays for another name (rename); no welcome is coming for this one.
          this.nameRefused = true;
          clearTimeout(this.connectTimer);
        }
        return this.emit('error', frame);
      case 'presence':
        this.viewers = frame.viewers;
        this.retries.rejoinWindow(frame.rejoinWindowMs);
        return this.emit('presence', frame);
      case 'users':
        this.viewers = frame.viewers;
        return this.emit('users', frame);
      case 'settings':
        this.slowSeconds = frame.slow;
        return this.emit('settings', frame);
      default: // the event of the frame's own name; a frame type this SDK does not know is ignored
        if (SAME_NAME_EVENTS.has(frame.type)) this.emit(frame.type, frame as never);
    }
  }

  private welcomed(frame: WelcomeFrame): void {
    clearTimeout(this.connectTimer);
    this.transports.welcomed();
    this.nameRefused = false;
    const newest = frame.history.reduce((max, m) => Math.max(max, m.id), 0);
    // Without recovery the history replaces what we had: the room may even have
    // restarted and begun its ids again, so the old last id no longer counts.
    this.lastId = frame.recovered === true ? Math.max(this.lastId, newest) : newest;
    this.me = frame.you;
    // A reconnect is the same guest, so a ban or timeout still holds and history stays theirs.
    if (frame.guestToken !== undefined) this.identity.guestToken = this.guestToken = frame.guestToken;
    this.room = frame.room;
    this.viewers = frame.viewers;
    this.slowSeconds = frame.settings.slow;
    this.retries.rejoinWindow(frame.rejoinWindowMs);
    this.setState({ state: 'open', attempt: this.retries.welcomed() });
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
