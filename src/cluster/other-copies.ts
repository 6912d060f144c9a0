/**
 * The room's other copies, as far as viewers go: every copy writes its joined
 * connections into the room's `copies` hash with an expiry time, every second,
 * and sums the others' entries that have not expired. A copy that died simply
 * stops counting once its last entry expires; nothing has to notice its death.
 */
import { type RedisConnection, withTimeout } from './redis-connection.js';

/** How often a copy tells the others its viewers, and how long that holds. */
export const HEARTBEAT_MS = 1_000;
const HEARTBEAT_VALID_MS = 5_000;

export class OtherCopies {
  private count = 0;

  constructor(
    private readonly redis: RedisConnection,
    /** The room's `copies` hash (keys.ts). */
    private readonly key: string,
    private readonly copyId: string,
  ) {}

  /** Joined connections on the other copies, as of the last beat. */
  get viewers(): number {
    return this.count;
  }

  /** Tells the others this copy's viewers and sums theirs; true when the sum changed. */
  async beat(viewersHere: number): Promise<boolean> {
    const now = Date.now();
    const [, , all] = (await withTimeout(
      Promise.all([
        this.redis.sendCommand(['HSET', this.key, this.copyId, `${viewersHere}:${now + HEARTBEAT_VALID_MS}`]),
        this.redis.sendCommand(['PEXPIRE', this.key, String(HEARTBEAT_VALID_MS * 2)]),
        this.redis.sendCommand(['HGETALL', this.key]),
      ]),
    )) as unknown as [unknown, unknown, string[]];
    let elsewhere = 0;
    for (let i = 0; i + 1 < all.length; i += 2) {
      if (all[i] === this.copyId) continue;
      const [viewers, until] = all[i + 1]!.split(':').map(Number);
      if (until! > now) elsewhere += viewers!;
    }
    if (elsewhere === this.count) return false;
    this.count = elsewhere;
    return true;
  }

  /** This copy closes: the others stop counting it at once. */
  async leave(): Promise<void> {
    await withTimeout(this.redis.sendCommand(['HDEL', this.key, this.copyId]));
  }
}
