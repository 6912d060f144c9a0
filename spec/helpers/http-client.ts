/**
 * A test's member on a room's HTTP fallback: a real session over fetch (join,
 * the event stream, sends, leave), with the same frames / next() as the
 * WebSocket TestClient. Its Server-Sent Events parser is its own, so the
 * server's encoding is checked independently of the SDK's reader.
 */
import { type Frame, FrameInbox, WAIT_MS } from './frame-inbox.js';
import type { Closed } from './ws-client.js';

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** Splits a text/event-stream body into events (comments and `retry:` skipped). */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  let event: SseEvent = { event: 'message', data: '', id: undefined };
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      if (line === '') {
        if (event.data !== '') yield event;
        event = { event: 'message', data: '', id: undefined };
      } else if (line.startsWith('data: ')) event.data += line.slice(6);
      else if (line.startsWith('event: ')) event.event = line.slice(7);
      else if (line.startsWith('id: ')) event.id = line.slice(4);
    }
  }
}

export interface JoinAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class HttpTestClient {
  private readonly inbox = new FrameInbox();
  /** The `id:` of each event, in order (undefined where the event had none). */
  readonly ids: Array<string | undefined> = [];
  /** Resolves with the stream's `event: close`. */
  readonly closed: Promise<Closed>;
  private stream: AbortController | null = null;
  private onClosed: (closed: Closed) => void = () => undefined;
  /** Resolves when the current stream's body ends (by the server or an abort). */
  streamEnded: Promise<void> = Promise.resolve();

  constructor(
    readonly base: string,
    readonly session: string,
    readonly welcome: Frame,
  ) {
    this.closed = new Promise((resolve) => (this.onClosed = resolve));
  }

  static baseOf(target: number | string): string {
    return typeof target === 'number' ? `http://127.0.0.1:${target}/` : target;
  }

  /** POST /http/join as it is: the answer, whatever its status. */
  static async postJoin(
    target: number | string,
    body: string,
    headers: Record<string, string> = {},
  ): Promise<JoinAnswer> {
    const res = await fetch(`${HttpTestClient.baseOf(target)}http/join`, { method: 'POST', body, headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** Joins and opens the event stream; fails unless the join is welcomed. */
  static async join(
    target: number | string,
    join: Record<string, unknown> = {},
    options: { stream?: boolean } = {},
  ): Promise<{ client: HttpTestClient; welcome: Frame }> {
    const base = HttpTestClient.baseOf(target);
    const answer = await HttpTestClient.postJoin(base, JSON.stringify({ type: 'join', ...join }));
    if (answer.status !== 201) throw new Error(`join: ${answer.status} ${JSON.stringify(answer.body)}`);
    const client = new HttpTestClient(base, answer.body.session as string, answer.body.welcome as Frame);
    if (options.stream !== false) await client.openStream();
    return { client, welcome: client.welcome };
  }

  url(route: string): string {
    return `${this.base}http/${route}?session=${encodeURIComponent(this.session)}`;
  }

  /** Opens GET /http/events (replacing this client's own open one); answers the status. */
  async openStream(lastEventId?: number): Promise<number> {
    this.stream?.abort();
    const controller = new AbortController();
    this.stream = controller;
    const headers: Record<string, string> = lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) };
    const res = await fetch(this.url('events'), { headers, signal: controller.signal });
    if (res.status !== 200 || res.body === null) {
      await res.body?.cancel();
      return res.status;
    }
    const body = res.body;
    this.streamEnded = (async () => {
      try {
        for await (const event of readEvents(body)) {
          if (event.event === 'close') this.onClosed(JSON.parse(event.data) as Closed);
          else for (const line of event.data.split('\n')) this.receive(JSON.parse(line) as Frame, event.id);
        }
      } catch {
        // aborted
      }
    })();
    return 200;
  }

  /** Drops the event stream from this side (a network blip). */
  async dropStream(): Promise<void> {
    this.stream?.abort();
    this.stream = null;
    await this.streamEnded;
  }

  /** Every frame received so far, in order (`ids` holds each one's event id). */
  get frames(): Frame[] {
    return this.inbox.frames;
  }

  private receive(frame: Frame, id: string | undefined): void {
    this.ids.push(id);
    this.inbox.receive(frame);
  }

  /** POST /http/send with one frame; answers the status. */
  async send(frame: unknown): Promise<number> {
    const body = typeof frame === 'string' ? frame : JSON.stringify(frame);
    const res = await fetch(this.url('send'), { method: 'POST', body });
    await res.body?.cancel();
    return res.status;
  }

  /** The first frame of `type` not yet returned by next(); fails after a few seconds. */
  next(type: string, match: (f: Frame) => boolean = () => true): Promise<Frame> {
    return this.inbox.next(type, match);
  }

  /** DELETE /http/session; answers the status. */
  async leave(): Promise<number> {
    const res = await fetch(this.url('session'), { method: 'DELETE' });
    await res.body?.cancel();
    this.stream?.abort();
    return res.status;
  }
}

/** The stream's close event, failing after a few seconds. */
export function httpCloseOf(client: HttpTestClient): Promise<Closed> {
  return Promise.race([
    client.closed,
    new Promise<Closed>((_r, reject) => setTimeout(() => reject(new Error('no close event in time')), WAIT_MS).unref()),
  ]);
}
