/**
 * The frames a test client has received, and waiting for the next one of a type:
 * shared by the WebSocket and the HTTP test clients, so a test reads both alike.
 */
export interface Frame {
  type: string;
  [key: string]: unknown;
}

export const WAIT_MS = 5_000;

export class FrameInbox {
  readonly frames: Frame[] = [];
  private waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private readonly consumed = new WeakSet<Frame>();

  /** A frame has arrived: it goes to the first waiter it matches, and into `frames`. */
  receive(frame: Frame): void {
    this.frames.push(frame);
    const index = this.waiters.findIndex((w) => w.test(frame));
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      this.consumed.add(frame);
      waiter!.resolve(frame);
    }
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
}
