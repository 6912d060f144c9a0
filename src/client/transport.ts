/**
 * Which transport a ChatClient's next connection uses, and opening it. With
 * 'auto' it tries the WebSocket first; an attempt that ends without a welcome
 * because the upgrade failed (1006) or took longer than `fallbackAfterMs` is
 * tried again at once over the room's HTTP fallback (src/client/transport-http.ts).
 * Once an HTTP connection is welcomed, the choice is kept for the life of the
 * client, and for every later client of this page or process that connects to the
 * same host (the network in between is the same); an HTTP attempt that fails
 * first sends the next one back to the WebSocket (the room may simply have been down).
 */
import type { ChatClientOptions, WebSocketConstructor, WebSocketLike } from './sdk.js';
import { type EventSourceConstructor, HttpSocket } from './transport-http.js';

export type TransportKind = 'websocket' | 'http';
export type TransportChoice = 'auto' | TransportKind;

/** With 'auto': a WebSocket not welcomed within this tries HTTP (ms). */
export const DEFAULT_FALLBACK_AFTER_MS = 3_000;

/** Hosts where a WebSocket failed and HTTP was welcomed: later clients go straight to HTTP. */
const httpHosts = new Set<string>();

type PickerOptions = Pick<ChatClientOptions, 'transport' | 'fallbackAfterMs' | 'fetch' | 'EventSource'>;

export class TransportPicker {
  private readonly choice: TransportChoice;
  private next: TransportKind;
  private kept = false;
  private host = '';

  constructor(
    private readonly options: PickerOptions,
    private readonly WebSocket: WebSocketConstructor | undefined,
  ) {
    this.choice = options.transport ?? 'auto';
    const fetchAt = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (WebSocket === undefined && (this.choice === 'websocket' || fetchAt === undefined))
      throw new Error('No WebSocket implementation: pass options.WebSocket (in Node: import { WebSocket } from "ws")');
    this.next = this.choice === 'http' || WebSocket === undefined ? 'http' : 'websocket';
    this.kept = this.next === 'http';
  }

  /** The transport of the current (or next) connection. */
  get current(): TransportKind {
    return this.next;
  }

  /** Whether a WebSocket attempt may still give way to HTTP. */
  get mayFallBack(): boolean {
    return this.choice === 'auto' && !this.kept && this.next === 'websocket';
  }

  /** How long the next connection may take to be welcomed. */
  welcomeWithinMs(connectTimeoutMs: number): number {
    const fallbackMs = this.options.fallbackAfterMs ?? DEFAULT_FALLBACK_AFTER_MS;
    return this.mayFallBack ? Math.min(fallbackMs, connectTimeoutMs) : connectTimeoutMs;
  }

  /** A connection to `url` over the current transport. */
  open(url: string): WebSocketLike {
    this.host = new URL(url).host;
    if (this.mayFallBack && httpHosts.has(this.host)) [this.next, this.kept] = ['http', true];
    if (this.next === 'websocket' && this.WebSocket !== undefined) return new this.WebSocket(url);
    const EventSource =
      this.options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
    const fetchAt = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    return new HttpSocket(url, { fetch: fetchAt, EventSource });
  }

  /**
   * A connection ended before its welcome: true when the next attempt should be
   * made at once over HTTP (`timedOut`: no welcome within fallbackAfterMs).
   */
  failed(code: number, timedOut: boolean): boolean {
    if (this.choice !== 'auto' || this.kept) return false;
    if (this.next === 'websocket' && (timedOut || code === 1006)) {
      this.next = 'http';
      return true;
    }
    this.next = 'websocket';
    return false;
  }

  /** A connection was welcomed: an HTTP one is kept from now on. */
  welcomed(): void {
    if (this.next !== 'http') return;
    if (this.choice === 'auto' && !this.kept) httpHosts.add(this.host);
    this.kept = true;
  }
}
