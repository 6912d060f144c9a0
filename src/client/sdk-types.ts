/**
 * The SDK's own types: what a ChatClient is built with, the events it emits and
 * what its sends resolve with (src/client/sdk.ts re-exports them all).
 */
import type { EventSourceConstructor } from './transport-http.js';
import type { TransportChoice } from './transport.js';
import type { ErrorFrame, FrameErrorCode, ServerFrame, WelcomeFrame, ChatMessage } from '../protocol/frames.js';
import type { BackoffOptions } from './backoff.js';

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

/** Who joins: a signed token, a guest name (with the guest token of an earlier welcome), or neither (read-only, anonymous). */
export interface Identity {
  token?: string;
  name?: string;
  /** A guest's token from an earlier welcome: the same guest again (keep it, e.g. in localStorage). */
  guestToken?: string;
}

export type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export type StateChange =
  | { state: 'connecting'; attempt: number }
  | { state: 'open'; attempt: number }
  | {
      state: 'reconnecting';
      code: number;
      reason: string;
      explanation: string;
      attempt: number;
      delayMs: number;
      /** Set when the room refused the attempt with 503 and asked for this wait (Node's `ws` only). */
      retryAfterMs?: number;
      /** Set when this first attempt after a drop is spread over the room's rejoin window (welcome, presence). */
      rejoinWindowMs?: number;
    }
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
  pinned: FrameOf<'pinned'>;
  unpinned: FrameOf<'unpinned'>;
  held: FrameOf<'held'>;
  review: FrameOf<'review'>;
  reviewed: FrameOf<'reviewed'>;
  warned: FrameOf<'warned'>;
  error: ErrorFrame;
}

/** What a message may add to its text: a reply's parent id, an action line (`/me`). */
export interface MessageOptions {
  replyTo?: number;
  action?: boolean;
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
