/**
 * The SDK's HTTP transport: a room's HTTP fallback (docs/protocol.md, "HTTP
 * fallback") behind the same WebSocketLike face the SDK drives a WebSocket
 * through, so ChatClient's events and send() do not change with the transport.
 * The first frame sent (the join) is POST /http/join, whose welcome is handed on
 * as the first message; the session's frames then arrive from GET /http/events
 * (EventSource in browsers, which reconnects with Last-Event-ID by itself; a
 * fetch body read by src/client/sse-reader.ts elsewhere); later frames are POSTs
 * to /http/send, in order. A refusal, an `event: close` or the session's end
 * comes out as a close event with the close code, as a WebSocket's would.
 */
import type { WebSocketLike } from './sdk.js';
import { readSse } from './sse-reader.js';

/** What the transport needs of EventSource (the browser's fits). */
export interface EventSourceLike {
  readonly readyState: number;
  onerror: ((event: unknown) => void) | null;
  addEventListener(type: string, listener: (event: { data: string }) => void): void;
  close(): void;
}
export type EventSourceConstructor = new (url: string) => EventSourceLike;

export interface HttpTransportOptions {
  fetch: typeof fetch;
  /** The browser's EventSource; without it the stream is read from fetch. */
  EventSource?: EventSourceConstructor | undefined;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
/** EventSource.CLOSED: it gave up (the session is gone); CONNECTING means it is retrying by itself. */
const SOURCE_CLOSED = 2;
/** No close code came with the end: as a WebSocket dropped without a close frame. */
const ABNORMAL = 1006;

/** The room's HTTP base for its WebSocket URL: ws(s)://host/path/ → http(s)://host/path/. */
export function httpBaseOf(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.toString();
}

export class HttpSocket implements WebSocketLike {
  readyState = CONNECTING;
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  private readonly base: string;
  private session: string | null = null;
  private joining = false;
  private source: EventSourceLike | null = null;
  /** Aborts the join and the stream's fetch once ended. */
  private readonly stream = new AbortController();
  /** Sends leave one at a time, so the room gets them in order. */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    url: string,
    private readonly options: HttpTransportOptions,
  ) {
    this.base = httpBaseOf(url);
    // Nothing to open before the join: the SDK sends it from onopen.
    setTimeout(() => {
      if (this.readyState !== CONNECTING) return;
      this.readyState = OPEN;
      this.call(this.onopen, {});
    }, 0);
  }

  send(data: string): void {
    if (this.readyState !== OPEN) return;
    if (this.session === null) {
      if (!this.joining) void this.join(data);
      return;
    }
    const url = this.url('send');
    this.sending = this.sending.then(async () => {
      if (this.readyState !== OPEN) return;
      try {
        const res = await this.options.fetch(url, { method: 'POST', body: data });
        await res.body?.cancel();
        if (res.status === 413) this.ended(1009, 'A frame was too large');
        else if (res.status === 404) this.ended(ABNORMAL, 'The session has ended');
      } catch (error) {
        this.ended(ABNORMAL, messageOf(error));
      }
    });
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === CLOSED) return;
    if (this.session !== null)
      void this.options.fetch(this.url('session'), { method: 'DELETE', keepalive: true }).catch(() => undefined);
    this.ended(code, reason);
  }

  private url(route: string): string {
    return `${this.base}http/${route}?session=${encodeURIComponent(this.session ?? '')}`;
  }

  private async join(frame: string): Promise<void> {
    this.joining = true;
    let status: number;
    let body: {
      session?: string;
      welcome?: unknown;
      error?: { message?: string; closeCode?: number; reason?: string };
    };
    try {
      const res = await this.options.fetch(`${this.base}http/join`, {
        method: 'POST',
        body: frame,
        signal: this.stream.signal,
      });
      status = res.status;
      body = (await res.json()) as typeof body;
    } catch (error) {
      return this.ended(ABNORMAL, messageOf(error));
    }
    if (this.readyState !== OPEN) return;
    if (status !== 201 || typeof body.session !== 'string') {
      const error = body.error ?? {};
      return this.ended(
        error.closeCode ?? (status === 503 ? 1013 : 1002),
        error.reason ?? error.message ?? `HTTP ${status}`,
      );
    }
    this.session = body.session;
    this.deliver(JSON.stringify(body.welcome));
    this.openStream();
  }

  private openStream(): void {
    const url = this.url('events');
    const Source = this.options.EventSource;
    if (Source !== undefined) {
      const source = new Source(url);
      this.source = source;
      source.addEventListener('message', (event) => this.deliver(event.data));
      source.addEventListener('close', (event) => this.closedBy(event.data));
      source.onerror = () => {
        if (source.readyState === SOURCE_CLOSED) this.ended(ABNORMAL, 'The event stream was refused');
      };
      return;
    }
    void (async () => {
      try {
        const res = await this.options.fetch(url, { signal: this.stream.signal });
        if (res.status !== 200 || res.body === null) {
          await res.body?.cancel();
          return this.ended(ABNORMAL, `The event stream was refused (HTTP ${res.status})`);
        }
        await readSse(res.body, (message) => {
          if (message.event === 'close') this.closedBy(message.data);
          else if (message.event === 'message') this.deliver(message.data);
        });
        this.ended(ABNORMAL, 'The event stream ended');
      } catch (error) {
        this.ended(ABNORMAL, messageOf(error));
      }
    })();
  }

  private deliver(data: string): void {
    if (this.readyState === OPEN) this.call(this.onmessage, { data });
  }

  private closedBy(data: string): void {
    let code = ABNORMAL;
    let reason = '';
    try {
      const close = JSON.parse(data) as { code?: unknown; reason?: unknown };
      if (typeof close.code === 'number') code = close.code;
      if (typeof close.reason === 'string') reason = close.reason;
    } catch {
      // an unreadable close is still a close
    }
    this.ended(code, reason);
  }

  /** Ends once: the stream is dropped and the SDK gets its close event. */
  private ended(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.source?.close();
    this.stream.abort();
    this.call(this.onclose, { code, reason });
  }

  private call(handler: ((event: never) => void) | null, event: object): void {
    (handler as ((event: object) => void) | null)?.(event);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
