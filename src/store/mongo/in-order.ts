/**
 * Writes that must land in the order they were asked for. The data layer starts
 * some writes without waiting for the one before (a room's settings, its pin, a
 * room opened then closed): SQLite applies each at once, in call order, but the
 * MongoDB driver may send overlapping operations over different pooled
 * connections, and the server may apply them in either order, leaving the older
 * value stored. Writes of one key are chained here, so each starts only when the
 * one before it has ended (failed or not); writes of different keys still overlap.
 */
export class InOrder {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, write: () => PromiseLike<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const next = before.then(write, write);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // The last write of a key forgets the chain, so idle keys hold nothing.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Keys with a write still running or waiting (for tests). */
  get busyKeys(): number {
    return this.tails.size;
  }
}
