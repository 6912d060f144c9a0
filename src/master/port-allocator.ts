/**
 * Hands out room ports from ROOM_PORT_MIN..ROOM_PORT_MAX. It goes round the range
 * rather than reusing the lowest free port at once, so a client still retrying a
 * room that just closed does not land in a new room on the same port.
 */
export class PortAllocator {
  private readonly inUse = new Set<number>();
  private cursor: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    this.cursor = min;
  }

  get size(): number {
    return this.max - this.min + 1;
  }

  /** The next free port after the cursor, or null when every port is taken. */
  take(): number | null {
    for (let i = 0; i < this.size; i++) {
      const port = this.cursor;
      this.cursor = port === this.max ? this.min : port + 1;
      if (!this.inUse.has(port)) {
        this.inUse.add(port);
        return port;
      }
    }
    return null;
  }

  release(port: number): void {
    this.inUse.delete(port);
  }
}
