/**
 * A test's chat client: a real `ws` connection that splits newline-batched
 * messages into frames and lets a test wait for the next frame of a type.
 */
import { WebSocket } from 'ws';

export interface Frame {
  type: string;
  [key: string]: unknown;
}

export interface Closed {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  origin?: string;
  host?: string;
  ca?: string | Buffer;
}

const WAIT_MS = 5_000;

export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private readonly consumed = new WeakSet<Frame>();

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

  private receive(frame: Frame): void {
    this.frames.push(frame);
    const index = this.waiters.findIndex((w) => w.test(frame));
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      this.consumed.add(frame);
      waiter!.resolve(frame);
    }
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame of `type` not yet returned by next(); fails after a few seconds. */
  next(type: string, match: (f: Frame) => boolean = () => true): Promise<Frame> {
    const test = (f: Frame) => f.type === type && match(f);
    const seen = this.frames.find((f) => !this.consumed.has(f) && test(f));
    if (seen !== undefined) {
      this.consumed.add(seen);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(
            new Error(
              `no "${type}" frame within ${WAIT_MS} ms; got ${JSON.stringify(this.frames.slice(-5)).slice(0, 600)}`,
            ),
          );
        }
      }, WAIT_MS).unref();
    });
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
