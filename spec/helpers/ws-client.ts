/**
 * A test's chat client: a real `ws` connection that splits newline-batched
 * messages into frames and lets a test wait for the next frame of a type.
 */
import { WebSocket } from 'ws';

import { type Frame, FrameInbox, WAIT_MS } from './frame-inbox.js';

export type { Frame };

export interface Closed {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  origin?: string;
  host?: string;
  ca?: string | Buffer;
}

export class TestClient {
  readonly closed: Promise<Closed>;
  private readonly inbox = new FrameInbox();

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      for (const line of data.toString().split('\n')) this.receive(JSON.parse(line) as Frame);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /**
   * Opens `ws://<host>:<port>/`, or the given URL as it is (e.g. `wss://…/rooms/34000/`
   * through a proxy); `ca` is the certificate a wss:// server must present (a test's
   * self-signed one), so TLS is still verified.
   */
  static connect(target: number | string, options: ConnectOptions = {}): Promise<TestClient> {
    const url = typeof target === 'string' ? target : `ws://${options.host ?? '127.0.0.1'}:${target}/`;
    const ws = new WebSocket(url, {
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** Connects and joins; resolves with the welcome frame. */
  static async join(
    target: number | string,
    join: Record<string, unknown> = {},
    options: ConnectOptions = {},
  ): Promise<{ client: TestClient; welcome: Frame }> {
    const client = await TestClient.connect(target, options);
    client.send({ type: 'join', ...join });
    const welcome = await client.next('welcome');
    return { client, welcome };
  }

  /** Every frame received so far, in order. */
  get frames(): Frame[] {
    return this.inbox.frames;
  }

  private receive(frame: Frame): void {
    this.inbox.receive(frame);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame of `type` not yet returned by next(); fails after a few seconds. */
  next(type: string, match: (f: Frame) => boolean = () => true): Promise<Frame> {
    return this.inbox.next(type, match);
  }

  close(): void {
    this.ws.close();
  }
}

/** Resolves with a close (code, reason), failing after a few seconds. */
export function closeOf(client: TestClient): Promise<Closed> {
  return Promise.race([
    client.closed,
    new Promise<Closed>((_r, reject) => setTimeout(() => reject(new Error('not closed in time')), WAIT_MS).unref()),
  ]);
}
