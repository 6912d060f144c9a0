/**
 * Who is in the room: every attached connection, the joined ones by user, the
 * joined count, the roles of mods and hosts who have left (so they stay
 * protected while away), the encoded `users` answer, and the presence throttle.
 */
import type { Role, UserInfo } from '../protocol/frames.js';
import { isModerator } from '../protocol/moderation-rule.js';
import type { Client } from './client.js';
import type { Clock, Timer } from './clock.js';
import { type EncodedFrame, encode } from './outbox.js';

const MAX_USERS_LISTED = 500;

export class Members {
  /** Every attached connection, joined or not. */
  readonly clients = new Set<Client>();
  private readonly byUser = new Map<string, Set<Client>>();
  /** The role each mod or host had when last seen here. */
  private readonly knownRoles = new Map<string, Role>();
  private joinedCount = 0;
  /** The encoded `users` answer while membership is unchanged (see usersFrame). */
  private users: EncodedFrame | null = null;
  private usersViewers = -1;
  private presenceSent = 0;
  private presenceTimer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly presenceIntervalMs: number,
    /** Called at most once per interval, when the room's joined count has changed since the last call. */
    private readonly onPresence: (viewers: number) => void,
    /** Joined connections on the room's other copies (a cluster), counted into presence. */
    private readonly elsewhere: () => number = () => 0,
  ) {}

  /** Joined connections (anonymous readers included). */
  get viewers(): number {
    return this.joinedCount;
  }

  /** Distinct identified users joined. */
  get chatters(): number {
    return this.byUser.size;
  }

  add(client: Client): void {
    this.clients.add(client);
  }

  /** A client has joined as `user` (already set on the client). */
  joined(client: Client, user: UserInfo): void {
    if (isModerator(user.role)) this.knownRoles.set(user.id, user.role);
    else this.knownRoles.delete(user.id);
    this.joinedCount += 1;
    if (user.role !== 'anonymous') {
      let same = this.byUser.get(user.id);
      if (same === undefined) {
        this.byUser.set(user.id, (same = new Set()));
        this.users = null;
      }
      same.add(client);
    }
    this.presenceChanged();
  }

  /** Forgets a connection that has ended; false if it was not here. */
  remove(client: Client): boolean {
    if (!this.clients.delete(client)) return false;
    const user = client.user;
    if (user === null) return true;
    this.joinedCount -= 1;
    const same = this.byUser.get(user.id);
    if (same !== undefined && same.delete(client) && same.size === 0) {
      this.byUser.delete(user.id);
      this.users = null;
    }
    this.presenceChanged();
    return true;
  }

  isPresent(userId: string): boolean {
    return this.byUser.has(userId);
  }

  /** The user's role if they are here, or the role they had as a mod or host when last here. */
  roleOf(userId: string): Role | undefined {
    const same = this.byUser.get(userId);
    return same?.values().next().value?.user?.role ?? this.knownRoles.get(userId);
  }

  /** Each identified user joined here, once. */
  *presentUsers(): Iterable<UserInfo> {
    for (const same of this.byUser.values()) {
      const user = same.values().next().value?.user;
      if (user) yield user;
    }
  }

  /** The user's joined connections (a copy: closing them changes the set). */
  connectionsOf(userId: string): Client[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /**
   * The users list is encoded once and kept until someone arrives or leaves, so
   * clients asking for it over and over cost the room a push each, not a rebuild.
   */
  usersFrame(): EncodedFrame {
    if (this.users === null || this.usersViewers !== this.joinedCount) {
      const users: UserInfo[] = [];
      for (const same of this.byUser.values()) {
        const first = same.values().next().value?.user;
        if (first) users.push(first);
        if (users.length >= MAX_USERS_LISTED) break;
      }
      this.users = encode({ type: 'users', viewers: this.joinedCount, users });
      this.usersViewers = this.joinedCount;
    }
    return this.users;
  }

  /**
   * Presence goes out at most once per interval and only when the count changed,
   * so a thousand joins in one second cost each viewer one frame, not a thousand.
   */
  presenceChanged(): void {
    if (this.presenceTimer !== undefined || this.stopped) return;
    this.presenceTimer = this.clock.setTimeout(() => {
      this.presenceTimer = undefined;
      const total = this.joinedCount + this.elsewhere();
      if (total === this.presenceSent) return;
      this.presenceSent = total;
      this.onPresence(this.joinedCount);
    }, this.presenceIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.presenceTimer);
    this.presenceTimer = undefined;
  }
}
