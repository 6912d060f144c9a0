/**
 * Logs a stream of like errors once per window rather than once each. A listener
 * out of file descriptors fails every accept (EMFILE), as fast as connections
 * arrive: one line per failure would fill the log exactly when it matters.
 * The first error of a burst is logged at once; the ones after it within the
 * window are counted and logged together when the window ends.
 */
export class ErrorBurst {
  private suppressed = 0;
  private last: NodeJS.ErrnoException | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly write: (error: NodeJS.ErrnoException, count: number) => void,
  ) {}

  add(error: NodeJS.ErrnoException): void {
    if (this.timer !== undefined) {
      this.suppressed += 1;
      this.last = error;
      return;
    }
    this.write(error, 1);
    this.timer = setTimeout(() => this.endWindow(), this.windowMs);
    this.timer.unref();
  }

  private endWindow(): void {
    this.timer = undefined;
    const { suppressed, last } = this;
    this.suppressed = 0;
    this.last = undefined;
    // Still failing: the count goes out, and a new window starts.
    if (suppressed > 0 && last !== undefined) {
      this.write(last, suppressed);
      this.timer = setTimeout(() => this.endWindow(), this.windowMs);
      this.timer.unref();
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
