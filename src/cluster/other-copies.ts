/**
 * The room's other copies, as far as viewers and users go: every copy writes its
 * joined connections and the version of its users list into the room's `copies`
 * hash with an expiry time, every second, and sums the others' entries that have
 * not expired. A copy writes its users list (the `users` hash) only when it has
 * changed, and reads another's only when that copy's version has moved, so an
 * unchanged room costs one small write and one read per copy and second. A copy
 * that died simply stops counting once its last entry expires; nothing has to
 * notice its death.
 */
import type { UserInfo } from '../protocol/frames.js';
import { NO_USERS, type UsersList } from '../room/engine.js';
import { type RedisConnection, withTimeout } from './redis-connection.js';

/** How often a copy tells the others its viewers, and how long that holds. */
export const HEARTBEAT_MS = 1_000;
const HEARTBEAT_VALID_MS = 5_000;

interface Copy {
  viewers: number;
  version: string;
  users: readonly UserInfo[];
}

export class OtherCopies {
  private count = 0;
  private readonly copies = new Map<string, Copy>();
  /** The users list version this copy last wrote. */
  private written = -1;
  private merged: UsersList = NO_USERS;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: {
      /** The room's `copies` hash (keys.ts). */
      copies: string;
      /** The room's `users` hash (keys.ts). */
      users: string;
    },
    private readonly copyId: string,
  ) {}

  /** Joined connections on the other copies, as of the last beat. */
  get viewers(): number {
    return this.count;
  }

  /** The identified users on the other copies, as of the last beat. */
  get users(): UsersList {
    return this.merged;
  }

  /** Tells the others this copy's viewers and users and reads theirs; true when the viewers sum changed. */
  async beat(viewersHere: number, usersHere: UsersList): Promise<boolean> {
    const now = Date.now();
    const ttl = String(HEARTBEAT_VALID_MS * 2);
    const writes: Array<Promise<unknown>> = [];
    if (usersHere.version !== this.written) {
      writes.push(this.redis.sendCommand(['HSET', this.keys.users, this.copyId, JSON.stringify(usersHere.users)]));
      writes.push(this.redis.sendCommand(['PEXPIRE', this.keys.users, ttl]));
    }
    const entry = `${viewersHere}:${now + HEARTBEAT_VALID_MS}:${usersHere.version}`;
    // The list goes first: a copy that reads the new version then finds the new list.
    const answers = (await withTimeout(
      Promise.all([
        ...writes,
        this.redis.sendCommand(['HSET', this.keys.copies, this.copyId, entry]),
        this.redis.sendCommand(['PEXPIRE', this.keys.copies, ttl]),
        this.redis.sendCommand(['HGETALL', this.keys.copies]),
      ]),
    )) as unknown[];
    const all = answers[answers.length - 1] as string[];
    this.written = usersHere.version;

    const live = new Map<string, { viewers: number; version: string }>();
    for (let i = 0; i + 1 < all.length; i += 2) {
      if (all[i] === this.copyId) continue;
      const [viewers, until, version = ''] = all[i + 1]!.split(':');
      if (Number(until) > now) live.set(all[i]!, { viewers: Number(viewers) || 0, version });
    }
    const usersMoved = await this.readUsers(live);

    let elsewhere = 0;
    for (const { viewers } of live.values()) elsewhere += viewers;
    if (usersMoved) this.mergeUsers();
    if (elsewhere === this.count) return false;
    this.count = elsewhere;
    return true;
  }

  /** This copy closes: the others stop counting it at once. */
  async leave(): Promise<void> {
    await withTimeout(
      Promise.all([
        this.redis.sendCommand(['HDEL', this.keys.copies, this.copyId]),
        this.redis.sendCommand(['HDEL', this.keys.users, this.copyId]),
      ]),
    );
  }

  /** Keeps the copies still alive, reading the lists that changed; true when any list came or went. */
  private async readUsers(live: Map<string, { viewers: number; version: string }>): Promise<boolean> {
    let moved = false;
    for (const id of this.copies.keys())
      if (!live.has(id)) {
        this.copies.delete(id);
        moved = true;
      }
    const stale = [...live].filter(([id, { version }]) => this.copies.get(id)?.version !== version).map(([id]) => id);
    if (stale.length > 0) {
      const lists = (await withTimeout(
        this.redis.sendCommand(['HMGET', this.keys.users, ...stale]),
      )) as unknown as Array<string | null>;
      stale.forEach((id, i) => {
        this.copies.set(id, { ...live.get(id)!, users: parseUsers(lists[i] ?? null) });
      });
      moved = true;
    }
    return moved;
  }

  private mergeUsers(): void {
    const users: UserInfo[] = [];
    const seen = new Set<string>();
    for (const copy of this.copies.values())
      for (const user of copy.users)
        if (!seen.has(user.id)) {
          seen.add(user.id);
          users.push(user);
        }
    this.merged = { version: this.merged.version + 1, users };
  }
}

/** Another copy's list as it wrote it; anything unreadable counts as no users. */
function parseUsers(json: string | null): readonly UserInfo[] {
  if (json === null) return [];
  try {
    const users = JSON.parse(json) as unknown;
    return Array.isArray(users) ? (users as UserInfo[]) : [];
  } catch {
    return [];
  }
}
